"""A tiny LibreOffice help tree and its .deb packages, written into temporary folders (never
the network)."""

from __future__ import annotations

from pathlib import Path

from tagregistry_lang.help_corpus import split_of

#: language folder -> the texts of a page's four paragraphs (the first gets the page number)
PAGE_TEXT = {
    "en-US": ["Open the file.", "Save the document as PDF.", "Choose Tools - Options.",
              "LibreOffice Calc"],
    "fr": ["Ouvrez le fichier.", "Enregistrez le document en PDF.", "Choisissez Outils - Options.",
           "LibreOffice Calc"],
    "es": ["Abra el archivo.", "Guarde el documento como PDF.", "Elija Herramientas - Opciones.",
           "LibreOffice Calc"],
    # pt-BR left the second paragraph in English
    "pt-BR": ["Abra o arquivo.", "Save the document as PDF.", "Escolha Ferramentas - Opções.",
              "LibreOffice Calc"],
}
HTML_PAGE = """<!DOCTYPE html><html lang="{lang}"><head><title>t</title></head><body>
<div id="DisplayArea"><h1 id="hd_id{page}1" dir="auto">{t0} <span class="emph">{page}</span></h1>
<p id="par_id{page}2" class="paragraph" dir="auto"><span class="avis">{t1}</span></p>
<p id="par_id{page}3" dir="auto">{t2a}<span class="switchinline"><span hidden="true"
 id="MACtext{page}" class="MAC"><span class="emph">MAC ONLY</span></span><span hidden="true"
 id="defaulttext{page}"><span class="emph">{t2b}</span></span></span></p>
<p id="par_id{page}4">{t3}</p><br><img src="x.png" alt="picture">
</div><footer><p id="bm_module" dir="auto">not a paragraph</p></footer></body></html>
"""


def page_names(count: int) -> list[str]:
    """``count`` page paths that fall in train, validation and test (each at least once)."""
    names, wanted = [], {"train", "validation", "test"}
    index = 0
    while len(names) < count or wanted:
        name = f"text/shared/guide/page{index:03d}"
        if split_of(name) in wanted or len(names) < count:
            names.append(name)
            wanted.discard(split_of(name))
        index += 1
    return names


def write_help(root: Path, pages: list[str]) -> Path:
    """A help tree ``root/usr/share/libreoffice/help/<lang>/<page>.html``; returns ``root``."""
    for lang, texts in PAGE_TEXT.items():
        for number, page in enumerate(pages):
            path = root / "usr/share/libreoffice/help" / lang / f"{page}.html"
            path.parent.mkdir(parents=True, exist_ok=True)
            head, _, tail = texts[2].partition(" - ")
            path.write_text(HTML_PAGE.format(
                lang=lang, page=number, t0=texts[0], t1=texts[1], t2a=head + " ",
                t2b="- " + tail, t3=texts[3]), encoding="utf-8")
    return root


def ar_member(name: str, data: bytes) -> bytes:
    """One member of an ``ar`` archive (the container of a .deb)."""
    header = (f"{name + '/':<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(data):<10}`\n").encode("ascii")
    return header + data + (b"\n" if len(data) % 2 else b"")


def make_deb(path: Path, files: dict[str, bytes]) -> Path:
    """A minimal .deb whose ``data.tar.xz`` holds ``files`` (archive path -> bytes)."""
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:xz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"!<arch>\n" + ar_member("debian-binary", b"2.0\n")
                     + ar_member("control.tar.xz", b"") + ar_member("data.tar.xz", buffer.getvalue()))
    return path


def debs_of_tree(tree: Path, folder: Path) -> dict[str, str]:
    """A .deb per language folder of ``tree`` (named as apt-get names it) in ``folder``, with
    a file outside the help; returns the pins ``{package: sha256}``."""
    from tagregistry.hashing import file_sha256
    from tagregistry_lang.fetch import deb_name

    help_dir = tree / "usr/share/libreoffice/help"
    pins = {}
    for lang in sorted(p.name for p in help_dir.iterdir()):
        package = f"libreoffice-help-{lang.lower()}"
        files = {f"./{p.relative_to(tree).as_posix()}": p.read_bytes()
                 for p in sorted((help_dir / lang).rglob("*.html"))}
        files[f"./usr/share/doc/{package}/copyright"] = b"MPL-2.0"
        deb = make_deb(folder / deb_name(package), files)
        pins[package] = file_sha256(deb)
    return pins
