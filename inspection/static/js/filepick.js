// Shows the chosen file's name under a file field (_form.html file_field); without this script
// the field still says that a file is chosen.
"use strict";
document.querySelectorAll("input.file-input").forEach((input) => {
  input.addEventListener("change", () => {
    const name = input.closest(".file-pick").querySelector("[data-file-name]");
    if (name && input.files.length) name.textContent = input.files[0].name;
  });
});
