"""The serif font the PDF embeds: Times New Roman where present, else a metric-compatible font
that covers every Vietnamese letter (DESIGN.md).

Fontconfig is asked for the faces that cover Vietnamese (`:lang=vi`), so Liberation Serif 1.x,
which lacks ơ, ư, ệ …, is never taken even where it is installed beside 2.x under the same family
name. The chosen files are named in @font-face rules by path, so Pango cannot fall back to
another face for a style or a letter: the PDF holds one family.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

# In order of preference: the format's font, then fonts with its metrics, then full-coverage serifs.
FAMILIES = ("Times New Roman", "Liberation Serif", "Tinos", "Noto Serif", "DejaVu Serif")
# Fontconfig's weight and slant of the four faces a document uses.
FACES = {
    (80, 0): ("normal", "normal"),
    (200, 0): ("bold", "normal"),
    (80, 100): ("normal", "italic"),
    (200, 100): ("bold", "italic"),
}
FAMILY_NAME = "Notice Serif"  # the name the stylesheet uses for the chosen faces
INSTALL_HINT = "apt-get install fonts-liberation2 fonts-noto-core fonts-dejavu-core"


class MissingFont(RuntimeError):
    """No serif font with Vietnamese letters is installed."""


@dataclass(frozen=True)
class SerifFont:
    family: str
    files: dict[tuple[str, str], Path]  # (weight, style) → file

    def css(self) -> str:
        """@font-face rules naming each face's file, under FAMILY_NAME."""
        return "\n".join(
            f'@font-face {{ font-family: "{FAMILY_NAME}"; font-weight: {weight}; '
            f'font-style: {style}; src: url("{path.as_uri()}"); }}'
            for (weight, style), path in sorted(self.files.items())
        )


@functools.cache
def serif_font() -> SerifFont:
    """The first family of FAMILIES with all four faces covering Vietnamese (looked up once)."""
    found: dict[str, dict[tuple[str, str], Path]] = {}
    for family, weight, slant, width, file in _vietnamese_faces():
        face = FACES.get((weight, slant))
        if face is not None and width == 100:
            found.setdefault(family, {}).setdefault(face, Path(file))
    for family in FAMILIES:
        if len(found.get(family, {})) == len(FACES):
            return SerifFont(family, found[family])
    raise MissingFont(f"no serif font with Vietnamese letters is installed: {INSTALL_HINT}")


def _vietnamese_faces() -> list[tuple[str, int, int, int, str]]:
    tool = shutil.which("fc-list")
    if tool is None:
        raise MissingFont(f"fontconfig (fc-list) is not installed: {INSTALL_HINT}")
    listing = subprocess.run(
        [tool, "--format", "%{family[0]}\t%{weight}\t%{slant}\t%{width}\t%{file}\n", ":lang=vi"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    faces = []
    for line in listing.splitlines():
        parts = line.split("\t")
        if len(parts) == 5 and all(p.isdigit() for p in parts[1:4]):
            faces.append((parts[0], int(parts[1]), int(parts[2]), int(parts[3]), parts[4]))
    return faces
