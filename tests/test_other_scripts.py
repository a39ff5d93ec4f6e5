"""Documents in other scripts (Russian, Vietnamese) with the real embedder, the real model and a real index:
a question is answered with a cited sentence of the right file, and one about a name no document holds is
refused."""

from __future__ import annotations

from pathlib import Path

import pytest

RU = ("Визит в Ханой\n\n"
      "Министр иностранных дел России Сергей Лавров прибыл в Ханой в среду. Он встретился с министром "
      "иностранных дел Вьетнама Буй Тхань Шоном. Стороны обсудили торговлю и энергетику. "
      "Товарооборот двух стран в 2021 году составил 5,54 миллиарда долларов.\n")
VI = ("Chuyến thăm Hà Nội\n\n"
      "Bộ trưởng Ngoại giao Nga Sergei Lavrov đến Hà Nội hôm thứ Tư. Ông gặp Bộ trưởng Ngoại giao Bùi Thanh Sơn. "
      "Hai bên thảo luận về thương mại và năng lượng. Sau đó ông Lavrov bay tới Bali để dự hội nghị G20.\n")


@pytest.fixture(scope="module")
def scripts_app(indexed_folder, tmp_path_factory: pytest.TempPathFactory):
    folder = indexed_folder(tmp_path_factory.mktemp("scripts"), docs=None,
                            files={"ru_visit.txt": RU, "vi_visit.txt": VI})
    assert len(folder.report.added) == 2
    return folder.app


@pytest.mark.slow
@pytest.mark.parametrize("question, source, fact", [
    ("С кем встретился Лавров в Ханое?", "ru_visit.txt", "Буй Тхань Шоном"),
    ("Lavrov gặp ai ở Hà Nội?", "vi_visit.txt", "Bùi Thanh Sơn"),
])
def test_a_question_in_another_script_is_answered_with_a_cited_sentence(scripts_app, question, source, fact):
    answer = scripts_app.pipeline.ask(question)
    assert not answer.refused, answer.decision
    assert fact in answer.answer
    cited = {Path(c.source).name for c in answer.citations}
    assert source in cited
    for c in answer.citations:
        text = (scripts_app.settings.docs_dir / Path(c.source).name).read_text(encoding="utf-8")
        assert text[c.start : c.end] == c.quote
        assert "\n" not in c.quote.strip() or c.quote.count(".") <= 1  # a sentence, not the whole file
    assert any(fact in s.claim for s in answer.sentences if s.citations)


@pytest.mark.slow
@pytest.mark.parametrize("question", ["С кем встретился Иванов в Ханое?", "Ông Nguyễn Văn Khải gặp ai ở Bali?"])
def test_a_question_about_a_name_no_document_holds_is_refused(scripts_app, question):
    answer = scripts_app.pipeline.ask(question)
    assert answer.refused and answer.refusal == "unknown_terms"
