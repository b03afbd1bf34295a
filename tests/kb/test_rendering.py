"""Article Markdown is shown as safe HTML: nothing a writer types runs in a reader's browser."""

from __future__ import annotations

from app.kb.rendering import diff, plain_summary, render, words, words_held


def test_raw_html_and_scripts_are_shown_as_text_never_run() -> None:
    html = render("Hello <script>alert(1)</script>\n\n<img src=x onerror=alert(1)>")
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;script&gt;" in html


def test_javascript_and_data_links_are_dropped() -> None:
    for link in ("javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<b>x</b>"):
        html = render(f"[click]({link})")
        assert "href" not in html, link
    assert 'href="https://example.org/a"' in render("[ok](https://example.org/a)")


def test_images_only_from_the_attachment_store() -> None:
    assert '<img src="/kb/files/12/screen.png" alt="s">' in render("![s](/kb/files/12/screen.png)")
    for src in ("https://evil.example/x.png", "//evil.example/x.png", "/kb/files/../../etc"):
        assert "src=" not in render(f"![s]({src})"), src


def test_markdown_structure_is_kept() -> None:
    html = render("# Title\n\n- one\n- two\n\n`code` **bold**\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    for tag in ("<h1>", "<li>one</li>", "<code>code</code>", "<strong>bold</strong>", "<td>1</td>"):
        assert tag in html


def test_diff_marks_added_and_removed_lines() -> None:
    lines = diff("Printer", "step one\nstep two", "Printer jams", "step one\nstep 2")
    kinds = {(line.kind, line.text) for line in lines}
    assert ("removed", "# Printer") in kinds
    assert ("added", "# Printer jams") in kinds
    assert ("removed", "step two") in kinds
    assert ("added", "step 2") in kinds
    assert ("same", "step one") in kinds


def test_summary_and_search_words() -> None:
    assert plain_summary("## Fix\n\n**Restart** the `VPN` client") == "Fix Restart the VPN client"
    assert words("My VPN does not connect!! the VPN") == ["vpn", "connect"]
    assert words("Intranet shows an error 500") == ["intranet", "500"]
    assert words("It is not working, I cannot do anything") == []
    assert words("a " * 10_000) == []


def test_the_typed_words_an_article_holds() -> None:
    title = "Printer shows paper jam; SAP prints nothing"
    assert words_held(["printers", "jams", "sap"], title) == 3
    assert words_held(["printe"], title) == 1  # typed on
    assert words_held(["sap"], "The icon disappears") == 0  # not at a word's start
    assert words_held(["printr"], title, corrected=["printer"]) == 1  # a typo, as read
    assert words_held(["intranet"], "internet", corrected=["printer"]) == 0
    # a long word with another ending, as the index's stemmer finds it
    assert words_held(["charging", "updating"], "Laptop does not charge once updated") == 2
    assert words_held(["charging"], "Open the chart of charges") == 1  # "charges", not "chart"
    assert words_held(["charging"], "Open the chart") == 0
    assert words_held(["printer"], "The prince") == 0  # too short a stem to guess
