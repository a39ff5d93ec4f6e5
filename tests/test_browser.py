"""The web chat in a real browser: headless Chromium (Debian's, no Playwright download) driving `rag serve`.

One server and one page for the module (the model loads once); the tests run in file order and build one
conversation, whose screenshot is saved to tests/artifacts/ at the end, also after a failure.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from served_app import ServedApp, served_app

pytestmark = pytest.mark.slow

CHROMIUM = Path(os.environ.get("RAG_TEST_CHROMIUM", "/usr/bin/chromium"))
# Without the background-networking flags Chromium's connections are refused on a closed network.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).parent / "artifacts"
ANSWER_TIMEOUT_MS = 180_000
SEED_NAMES = sorted(p.name for p in (Path(__file__).parent.parent / "seeds").glob("*.txt"))

# Records every distinct text the latest answer bubble shows, so streaming can be checked after the fact.
RECORD_STATES = """() => {
  window.__states = [];
  const chat = document.querySelector('#chat');
  const record = () => {
    const bots = chat.querySelectorAll('[data-testid=bot]');
    if (!bots.length) return;
    const text = bots[bots.length - 1].innerText.trim();
    const s = window.__states;
    if (text && (!s.length || s[s.length - 1] !== text)) s.push(text);
  };
  new MutationObserver(record).observe(chat, {subtree: true, childList: true, characterData: true});
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApp]:
    with served_app(tmp_path_factory.mktemp("browser")) as app:
        yield app


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install -y chromium` (`make test` does it).")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def page(browser, server):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(60_000)
    page.goto(server.url)
    page.wait_for_selector("#question textarea")
    page.wait_for_function("() => document.querySelector('#documents').innerText.includes('indexed')")
    try:
        yield page
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "browser-chat.png"), full_page=True)
        page.close()


def ask(page, question: str) -> str:
    """Ask through the page; wait until the answer is final (the Ask event done, the box cleared)."""
    bots_before = page.locator("#chat [data-testid=bot]").count()
    page.evaluate(RECORD_STATES)
    page.fill("#question textarea", question)
    page.click("#ask")
    page.wait_for_function(
        """(n) => document.querySelectorAll('#chat [data-testid=bot]').length > n
                 && document.querySelector('#question textarea').value === ''""",
        arg=bots_before, timeout=ANSWER_TIMEOUT_MS,
    )
    return page.locator("#chat [data-testid=bot]").last.inner_text().strip()


def shown_sources(page) -> list[tuple[str, str]]:
    """(file name, quoted passage) for each source in the sources panel."""
    out = []
    for source in page.locator("#sources .rag-source").all():
        name = re.sub(r"^\[\d+\]\s*", "", source.locator("b").inner_text().strip())
        out.append((name, " ".join(source.locator("blockquote").inner_text().split())))
    return out


def draft_text(page) -> str:
    """The collapsed "Model draft" section's text, opened as a user would."""
    if not page.locator("#draft").count():
        page.get_by_text("Model draft and removed sentences").click()
    return page.locator("#draft").inner_text()


def file_text(server: ServedApp, name: str) -> str:
    return " ".join((server.docs_dir / name).read_text(encoding="utf-8").split())


def test_page_has_conversation_sources_documents_upload_and_settings(page):
    documents = page.inner_text("#documents")
    assert f"{len(SEED_NAMES)} document(s) indexed" in documents
    assert all(name in documents for name in SEED_NAMES)
    for selector in ("#chat", "#question textarea", "#ask", "#sources", "#upload input[type=file]"):
        assert page.locator(selector).count() == 1, selector
    assert page.locator("#top-k input[type=number]").input_value() == "4"
    page.click("#model input")
    options = page.locator("[role=option]").all_inner_texts()
    page.keyboard.press("Escape")
    assert {"gemma3-270m", "smollm2-135m"} <= {o.split()[-1] for o in options if o.split()}


def test_answer_streams_in_then_sources_show_files_and_passages(page, server):
    answer = ask(page, "How many projects have Russian companies invested in Vietnam?")
    assert "151" in answer
    states = page.evaluate("window.__states")
    assert states[-1] == answer
    partial = states[:-1]
    # The bubble shows a placeholder, then that the draft is being checked, then checked text: never final at once.
    assert len(set(partial)) >= 2, states
    assert partial[0].startswith("…"), states
    assert answer not in partial
    sources = shown_sources(page)
    assert sources, page.inner_html("#sources")
    assert "002_cd5c2d4c352cb8e4.txt" in {name for name, _ in sources}
    for name, quote in sources:
        assert quote and quote in file_text(server, name), (name, quote)
    assert any("151 projects" in quote for _, quote in sources)
    assert page.locator("#sources mark").count() > 0  # the supporting words are highlighted


def test_uploaded_document_is_listed_and_answered(page, server, tmp_path):
    doc = tmp_path / "oslo-festival.txt"
    doc.write_text("The Oslo harbour festival of 2031 was opened by Mayor Ingrid Solheim on 3 March. "
                   "About 40,000 visitors came to the harbour that weekend.\n", encoding="utf-8")
    page.set_input_files("#upload input[type=file]", str(doc))
    page.wait_for_function("() => document.querySelector('#upload-status').innerText.includes('indexed')",
                           timeout=ANSWER_TIMEOUT_MS)
    assert "✅ oslo-festival.txt" in page.inner_text("#upload-status")
    documents = page.inner_text("#documents")
    assert f"{len(SEED_NAMES) + 1} document(s) indexed" in documents
    assert "oslo-festival.txt" in documents
    assert (server.docs_dir / "oslo-festival.txt").is_file()

    answer = ask(page, "Who opened the Oslo harbour festival?")
    assert "Solheim" in answer
    assert not page.locator("#chat [data-testid=bot]").last.locator(".rag-refused").count()
    assert "oslo-festival.txt" in {name for name, _ in shown_sources(page)}


def test_uncovered_question_is_shown_as_refused(page):
    answer = ask(page, "What is the recipe for pho?")
    assert "Not in the documents" in answer
    badge = page.locator("#chat [data-testid=bot]").last.locator(".rag-refused")
    assert badge.count() == 1 and badge.is_visible()
    # It looks different: the badge has its own colours, unlike the plain text of an answer.
    colour = badge.evaluate("e => getComputedStyle(e).backgroundColor")
    plain = page.locator("#chat [data-testid=bot]").first.evaluate(
        "e => getComputedStyle(e.querySelector('p') || e).backgroundColor")
    assert colour not in ("rgba(0, 0, 0, 0)", "transparent", plain)
    assert page.locator("#chat .rag-refused").count() == 1  # the earlier answers carry no badge
    assert page.locator("#sources .rag-refused-sources").inner_text().startswith("Nearest passages")


def test_settings_apply_to_this_session_without_restart(page, browser, server):
    page.locator("#top-k input[type=number]").fill("1")
    page.locator("#top-k input[type=number]").press("Enter")
    page.click("#model input")
    page.locator("[role=option]", has_text="smollm2-135m").click()
    answer = ask(page, "When will Lavrov visit China?")
    assert "April 8-9" in answer
    assert "(smollm2-135m)" in draft_text(page)
    assert {name for name, _ in shown_sources(page)} == {"004_6a4118b6b4af9dbd.txt"}

    # Another browser session still answers with the configured model.
    other = browser.new_page()
    try:
        other.goto(server.url)
        other.wait_for_selector("#question textarea")
        assert "April 8-9" in ask(other, "When will Lavrov visit China?")
        assert "(gemma3-270m)" in draft_text(other)
    finally:
        other.close()
