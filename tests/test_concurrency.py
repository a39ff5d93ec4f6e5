"""Many users at once, against the real `rag serve` in a subprocess, through gradio_client.

Eight conversations, each about its own topic of the seeds and each with follow-ups that need its own history,
run first one after another (the baseline), then all at once, then all at once again while another client
uploads documents. Answers are made at temperature 0, so a conversation answered alongside seven others must
get exactly its baseline answers: any leak of history, sources or model state between requests would show.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from served_app import ServedApp, rag_command, served_app

from rag.serve.chat import message_text

pytestmark = pytest.mark.slow

TIMEOUT_S = 600


@dataclass(frozen=True)
class Turn:
    question: str
    fact: str | None  # a fact of this topic the answer must state (None: only its sources are checked);
    # "A|B": either of two spellings of the fact (two files may write it differently)


# topic -> (the files its answers may cite, its turns). Facts are distinctive: no other topic's answer has them.
TOPICS: dict[str, tuple[set[str], list[Turn]]] = {
    "mongolia": ({"003_8696cf6703ef46b9.txt"}, [
        Turn("Who is the Mongolian foreign minister Lavrov held talks with in Ulaanbaatar?", "Battsetseg"),
        Turn("And who is the country's prime minister, whom Lavrov also met?", "Oyun-Erdene"),
    ]),
    "china2024": ({"004_6a4118b6b4af9dbd.txt"}, [
        Turn("When is Lavrov scheduled to visit China in 2024?", "April 8-9"),
        Turn("Who will he be holding talks with during that trip?", "Wang Yi"),
    ]),
    "investment": ({"002_cd5c2d4c352cb8e4.txt"}, [
        Turn("How many projects do Russian companies have in Vietnam?", "151"),
        Turn("And what is their total authorised capital?", "950"),
    ]),
    "thayer": ({"002_cd5c2d4c352cb8e4.txt"}, [
        Turn("In which country is Thayer Consultancy registered as a small business?", "Australia"),
        Turn("And in what year was it registered?", "2002"),
    ]),
    "navy": ({"001_9f4acd3a2150c267.txt"}, [
        Turn("Where in Vietnam did Russian Pacific Fleet warships make a port call in late June 2022?", "Cam Ranh"),
        Turn("Until what year did Russia run a major naval base there?", None),
        Turn("Which Russian destroyer led the naval squadron that visited Vietnam in June?", "Shaposhnikov"),
    ]),
    "ap": ({"000_3f9bc7393afcd6ea.txt", "001_9f4acd3a2150c267.txt"}, [
        Turn("Who supported Hanoi's communist government during the Vietnam War?", "Soviet Union"),
        Turn("When was Lavrov due to leave Vietnam for Indonesia?", "Wednesday afternoon"),
        Turn("Which country did Lavrov visit the day before he arrived in Hanoi?", "Mongolia"),
    ]),
    "bali": ({"001_9f4acd3a2150c267.txt"}, [
        Turn("Which Canadian minister said she would refuse to shake Lavrov's hand in Bali?", None),
        Turn("Which US official was expected to snub Lavrov at the Bali meeting?", "Blinken"),
    ]),
    "putin": ({"004_6a4118b6b4af9dbd.txt"}, [
        Turn("Whom was Putin reportedly going to meet on his visit to China?", "Xi Jinping"),
        Turn("When did Russia and China describe their relationship as a 'no limits' partnership?", "no limits"),
        Turn("At which city's diplomacy forum was Lavrov photographed speaking in March 2024?", "Antalya"),
    ]),
}

# Strings only one topic's answers can contain: seeing one in another conversation means a leak.
MARKERS = {
    "mongolia": ["Battsetseg", "Oyun-Erdene", "Ulaanbaatar"],
    "china2024": ["April 8-9"],
    "investment": ["151 projects", "950"],
    "thayer": ["Thayer"],
    "navy": ["Cam Ranh", "Shaposhnikov"],
    "ap": ["Soviet Union", "Wednesday afternoon"],
    "bali": ["Blinken", "Joly"],
    "putin": ["Xi Jinping", "Antalya"],
}

UPLOADS = {
    "oslo-festival.txt": ("The Oslo harbour festival of 2031 was opened by Mayor Ingrid Solheim on 3 March.",
                          "Who opened the Oslo harbour festival?", "Solheim"),
    "bled-regatta.txt": ("The Lake Bled rowing regatta of 2030 was won by the Ljubljana club Argonavt.",
                         "Which club won the Lake Bled rowing regatta?", "Argonavt"),
    "tallinn-jazz.txt": ("Tallinn Jazz Week 2029 closed with a concert by the pianist Kadri Voorand.",
                         "Who played the closing concert of Tallinn Jazz Week?", "Voorand"),
}


@dataclass(frozen=True)
class Reply:
    answer: str
    files: frozenset[str]
    asked: tuple[str, ...]  # the user messages of the conversation the server returned


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApp]:
    with served_app(tmp_path_factory.mktemp("many")) as app:
        yield app



def cited_files(sources_html: str) -> frozenset[str]:
    return frozenset(re.findall(r"<b>\[\d+\] ([^<]+)</b>", sources_html))


def converse(url: str, topic: str) -> list[Reply]:
    """One conversation through the page's /chat endpoint, its history carried as the page carries it."""
    from gradio_client import Client

    client = Client(url, verbose=False)
    conversation: list = []
    replies = []
    for turn in TOPICS[topic][1]:
        job = client.submit(turn.question, conversation, 4, api_name="/chat")
        conversation, sources, _draft = job.result(timeout=TIMEOUT_S)
        replies.append(Reply(
            answer=message_text(conversation[-1]),
            files=cited_files(sources),
            asked=tuple(message_text(m) for m in conversation if m["role"] == "user"),
        ))
    return replies


def run_all(url: str, at_once: bool) -> dict[str, list[Reply]]:
    if not at_once:
        return {topic: converse(url, topic) for topic in TOPICS}
    with ThreadPoolExecutor(len(TOPICS)) as pool:
        futures = {topic: pool.submit(converse, url, topic) for topic in TOPICS}
        return {topic: f.result(timeout=TIMEOUT_S) for topic, f in futures.items()}


def check_topics(results: dict[str, list[Reply]]) -> None:
    """Every question answered from its own topic: its own history, its own files, its own facts only."""
    for topic, replies in results.items():
        files, turns = TOPICS[topic]
        assert len(replies) == len(turns)
        for i, (turn, reply) in enumerate(zip(turns, replies, strict=True)):
            assert reply.asked == tuple(t.question for t in turns[: i + 1]), (topic, reply.asked)
            assert reply.answer and not reply.answer.startswith("⚠️"), (topic, turn.question, reply.answer)
            assert "rag-refused" not in reply.answer, (topic, turn.question, reply.answer)
            assert reply.files and reply.files <= files, (topic, turn.question, reply.files)
            if turn.fact:
                assert any(f in reply.answer for f in turn.fact.split("|")), (topic, turn.question, reply.answer)
            foreign = [m for other, markers in MARKERS.items() if other != topic for m in markers]
            assert not [f for f in foreign if f in reply.answer], (topic, turn.question, reply.answer)


@pytest.fixture(scope="module")
def baseline(server) -> dict[str, list[Reply]]:
    results = run_all(server.url, at_once=False)
    check_topics(results)
    return results


def test_eight_conversations_at_once_get_their_own_answers(server, baseline):
    results = run_all(server.url, at_once=True)
    check_topics(results)
    assert results == baseline  # temperature 0: the same conversation, the same answers and sources


def _documents(url: str) -> str:
    from gradio_client import Client

    return Client(url, verbose=False).predict(api_name="/documents")


def test_uploads_while_conversations_run_keep_the_index_intact(server, baseline, tmp_path):
    from gradio_client import Client, handle_file

    before = _documents(server.url)
    passages_before = int(re.search(r"\((\d+) passages\)", before).group(1))

    def upload_all() -> list[str]:
        client = Client(server.url, verbose=False)
        statuses = []
        for name, (text, _, _) in UPLOADS.items():
            path = tmp_path / name
            path.write_text(text + "\n", encoding="utf-8")
            status, _docs = client.submit([handle_file(str(path))], api_name="/upload").result(timeout=TIMEOUT_S)
            statuses.append(status)
        return statuses

    with ThreadPoolExecutor(1) as uploader:
        uploading = uploader.submit(upload_all)
        results = run_all(server.url, at_once=True)
        statuses = uploading.result(timeout=TIMEOUT_S)  # re-raises an upload's error here
    check_topics(results)

    # Each tiny upload is one passage; the seeds' passages are all still there.
    assert len(statuses) == len(UPLOADS)
    for name, status in zip(UPLOADS, statuses, strict=True):
        assert f"✅ {name}: indexed (1 passages)" in status, status
    after = _documents(server.url)
    assert f"{5 + len(UPLOADS)} document(s) indexed** ({passages_before + len(UPLOADS)} passages)" in after, after
    for name in [*(p.name for p in sorted(server.docs_dir.glob("0*.txt"))), *UPLOADS]:
        assert name in after

    client = Client(server.url, verbose=False)
    for name, (_, question, fact) in UPLOADS.items():
        answer = client.predict(question, 4, api_name="/ask")
        assert fact in answer["answer"], answer
        assert {Path(c["source"]).name for c in answer["citations"]} == {name}


def test_index_matches_the_folder_after_the_load(server):
    """A sync of the same folder finds nothing to do: no file missing, stale or half-written."""
    server.stop()  # one process at a time on a Chroma folder
    out = subprocess.run(
        [*rag_command(), "index", "--docs", str(server.docs_dir), "--index", str(server.index_dir)],
        capture_output=True, text=True, timeout=TIMEOUT_S, check=False,
    )
    report = out.stdout + out.stderr
    assert out.returncode == 0, report
    assert re.search(rf"0 added, 0 updated, 0 removed, {5 + len(UPLOADS)} unchanged", report), report
