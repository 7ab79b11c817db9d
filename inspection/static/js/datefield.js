// The calendar helper of the dd/mm/yyyy date fields (views/forms.py VietnameseDateField): a
// button next to each `input[data-datefield]` opens a month, Monday first, whose days write
// dd/mm/yyyy into the field. Keyboard: arrows move a day or a week, Page Up/Down a month (with
// Shift a year), Home/End the week's ends, Enter picks, Escape closes. The words come translated from the page
// (_datefield.html). Without this script the field is a text field and takes the same typing.
(function () {
  "use strict";

  var script = document.currentScript;
  var words = JSON.parse((script && script.getAttribute("data-words")) || "{}");
  var FIRST_YEAR = 2000, LAST_YEAR = 2100; // services/validation.py
  var open = null; // the field whose calendar is showing: {input, button, box, shown, focus}

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function daysIn(y, m) { return new Date(y, m + 1, 0).getDate(); } // m: 0–11

  function format(d) {
    return pad(d.getDate()) + "/" + pad(d.getMonth() + 1) + "/" + d.getFullYear();
  }

  // The same rule as formatting.parse_typed_date: dd/mm/yyyy with '/', '.', '-' or a space,
  // d/m/yyyy, ddmmyyyy or YYYY-MM-DD. A day that does not exist, or outside the app's years, is
  // no day here (null): left as typed, for the server to say why (Date would read 0050 as 1950).
  function parse(text) {
    var t = text.trim(), m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(t), y, mo, d;
    if (m) {
      y = +m[1]; mo = +m[2]; d = +m[3];
    } else if ((m = /^(\d{1,2})([\/.\- ])(\d{1,2})\2(\d{4})$/.exec(t) ||
                /^(\d{2})()(\d{2})(\d{4})$/.exec(t))) {
      d = +m[1]; mo = +m[3]; y = +m[4];
    } else {
      return null;
    }
    if (y < FIRST_YEAR || y > LAST_YEAR || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo - 1)) {
      return null;
    }
    return new Date(y, mo - 1, d);
  }

  function inRange(d) { return d.getFullYear() >= FIRST_YEAR && d.getFullYear() <= LAST_YEAR; }

  function sameDay(a, b) { return a && b && a.getTime() === b.getTime(); }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text) node.textContent = text;
    return node;
  }

  function button(cls, text, label) {
    var b = el("button", cls, text);
    b.type = "button";
    if (label) b.setAttribute("aria-label", label);
    return b;
  }

  function today() {
    var now = new Date();
    return new Date(now.getFullYear(), now.getMonth(), now.getDate());
  }

  // The month of `focus` drawn into the open calendar, `focus` the one day reachable by Tab.
  function draw(focusIt) {
    var box = open.box, focus = open.focus, picked = parse(open.input.value);
    var y = focus.getFullYear(), m = focus.getMonth(), now = today();
    box.querySelector(".datefield-month").value = String(m);
    box.querySelector(".datefield-year").value = String(y);
    box.querySelector(".datefield-prev").disabled = y === FIRST_YEAR && m === 0;
    box.querySelector(".datefield-next").disabled = y === LAST_YEAR && m === 11;
    var body = box.querySelector("tbody");
    body.textContent = "";
    var lead = (new Date(y, m, 1).getDay() + 6) % 7; // Monday first: Monday 0 … Sunday 6
    var count = daysIn(y, m), row = null;
    for (var cell = 0; cell < lead + count; cell++) {
      if (cell % 7 === 0) row = body.appendChild(el("tr"));
      var td = row.appendChild(el("td"));
      if (cell < lead) continue;
      var day = new Date(y, m, cell - lead + 1);
      var b = td.appendChild(button("datefield-day", String(day.getDate()), format(day)));
      b.dataset.day = format(day);
      b.tabIndex = sameDay(day, focus) ? 0 : -1;
      if (sameDay(day, picked)) b.setAttribute("aria-pressed", "true");
      if (sameDay(day, now)) b.setAttribute("aria-current", "date");
    }
    while (row && row.children.length < 7) row.appendChild(el("td"));
    if (focusIt) body.querySelector("[tabindex='0']").focus();
  }

  function moveTo(day, focusIt) {
    if (!inRange(day)) return;
    open.focus = day;
    draw(focusIt);
  }

  function shiftMonth(months, focusIt) {
    var f = open.focus, y = f.getFullYear(), m = f.getMonth() + months;
    var first = new Date(y, m, 1);
    moveTo(new Date(first.getFullYear(), first.getMonth(),
      Math.min(f.getDate(), daysIn(first.getFullYear(), first.getMonth()))), focusIt);
  }

  function close(refocus) {
    if (!open) return;
    var was = open;
    open = null;
    was.box.remove();
    was.button.setAttribute("aria-expanded", "false");
    if (refocus) was.button.focus();
  }

  function pick(text) {
    var field = open.input;
    field.value = text;
    field.dispatchEvent(new Event("input", { bubbles: true }));
    field.dispatchEvent(new Event("change", { bubbles: true }));
    close(true); // the button, not the field: no on-screen keyboard popping up on a tablet
  }

  function build() {
    var box = el("div", "datefield-cal");
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-label", words.open || "");
    var head = box.appendChild(el("div", "datefield-head"));
    head.appendChild(button("datefield-prev", "‹", words.prev)).addEventListener("click", function () {
      shiftMonth(-1, false);
    });
    // Month and year chosen directly too: a decision two years back is not 24 taps away.
    var month = head.appendChild(el("select", "datefield-month"));
    month.setAttribute("aria-label", words.month || "");
    words.months.forEach(function (name, i) { month.appendChild(new Option(name, String(i))); });
    var year = head.appendChild(el("select", "datefield-year"));
    year.setAttribute("aria-label", words.year || "");
    for (var y = FIRST_YEAR; y <= LAST_YEAR; y++) year.appendChild(new Option(String(y), String(y)));
    var jump = function () {
      var to = new Date(+year.value, +month.value, 1);
      moveTo(new Date(to.getFullYear(), to.getMonth(),
        Math.min(open.focus.getDate(), daysIn(to.getFullYear(), to.getMonth()))), false);
    };
    month.addEventListener("change", jump);
    year.addEventListener("change", jump);
    head.appendChild(button("datefield-next", "›", words.next)).addEventListener("click", function () {
      shiftMonth(1, false);
    });
    var table = box.appendChild(el("table", "datefield-grid"));
    var names = table.appendChild(el("thead")).appendChild(el("tr"));
    words.days.forEach(function (name, i) {
      var th = names.appendChild(el("th", i > 4 ? "weekend" : "", name));
      th.scope = "col";
      if (words.dayNames) th.abbr = words.dayNames[i];
    });
    table.appendChild(el("tbody"));
    var foot = box.appendChild(el("div", "datefield-foot"));
    foot.appendChild(button("datefield-today", words.today)).addEventListener("click", function () {
      pick(format(today()));
    });
    foot.appendChild(button("datefield-close", words.close)).addEventListener("click", function () {
      close(true);
    });
    table.addEventListener("click", function (event) {
      var day = event.target.closest(".datefield-day");
      if (day) pick(day.dataset.day);
    });
    table.addEventListener("keydown", keys);
    box.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { event.preventDefault(); close(true); }
    });
    return box;
  }

  function keys(event) {
    if (!event.target.closest(".datefield-day")) return;
    var f = open.focus, step = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -7, ArrowDown: 7 }[event.key];
    var weekday = (f.getDay() + 6) % 7;
    if (step) {
      moveTo(new Date(f.getFullYear(), f.getMonth(), f.getDate() + step), true);
    } else if (event.key === "Home" || event.key === "End") {
      var to = event.key === "Home" ? -weekday : 6 - weekday;
      moveTo(new Date(f.getFullYear(), f.getMonth(), f.getDate() + to), true);
    } else if (event.key === "PageUp" || event.key === "PageDown") {
      shiftMonth((event.key === "PageUp" ? -1 : 1) * (event.shiftKey ? 12 : 1), true);
    } else {
      return; // Enter and Space press the focused day's button
    }
    event.preventDefault();
  }

  function toggle(input, opener) {
    if (open && open.input === input) { close(true); return; }
    close(false);
    var picked = parse(input.value);
    open = { input: input, button: opener, box: build(), focus: picked || today() };
    if (!inRange(open.focus)) open.focus = new Date(LAST_YEAR, 11, 31); // a clock past 2100
    opener.parentNode.appendChild(open.box);
    opener.setAttribute("aria-expanded", "true");
    draw(true);
    open.box.scrollIntoView({ block: "nearest" });
  }

  function enhance(input) {
    var wrap = el("span", "datefield");
    input.parentNode.insertBefore(wrap, input);
    wrap.appendChild(input);
    var opener = wrap.appendChild(button("datefield-open", "", words.open));
    opener.setAttribute("aria-haspopup", "dialog");
    opener.setAttribute("aria-expanded", "false");
    opener.innerHTML = '<svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false">' +
      '<rect x="3" y="5" width="18" height="16" rx="2" fill="none" stroke="currentColor" stroke-width="2"/>' +
      '<path d="M3 10h18M8 3v4M16 3v4" stroke="currentColor" stroke-width="2"/></svg>';
    opener.addEventListener("click", function () { toggle(input, opener); });
    // What was understood, written back the way the page writes dates (22022024 → 22/02/2024);
    // a text that is no day stays as typed, for the server to say why.
    input.addEventListener("change", function () {
      var day = parse(input.value);
      if (day && format(day) !== input.value) input.value = format(day);
    });
  }

  if (!words.months || !words.days) return;
  // A day typed in a field, as the API takes it (YYYY-MM-DD); not a day: as typed.
  window.inspectionDates = {
    iso: function (text) {
      var d = parse(text);
      return d ? d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) : text;
    },
  };

  Array.prototype.forEach.call(document.querySelectorAll("input[data-datefield]"), enhance);
  document.addEventListener("pointerdown", function (event) {
    if (open && !open.box.contains(event.target) && !open.button.contains(event.target)) close(false);
  });
  document.addEventListener("focusin", function (event) {
    if (open && !open.box.contains(event.target) && event.target !== open.button) close(false);
  });
})();
