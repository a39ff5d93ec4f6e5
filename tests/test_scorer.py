"""The learned answer scorer (rag/answer/scorer.py): how its folder is read, how it fuses with the hand order, and
that answering uses it. The folder is the packaged MiniLM exported as a scorer (conftest.packaged_scorer)."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.answer.confidence import FEATURES
from rag.answer.rank import STACKED, fused, zscores
from rag.answer.scorer import CARD, LearnedScorer, fusion_weight
from rag.config import HAND_ORDER, PROJECT_ROOT, load_settings
from rag.errors import ConfigError

SCORER_DIR = PROJECT_ROOT / "models" / "scorer"


def test_fusion_adds_z_scores_so_a_learned_favourite_wins_only_with_weight():
    hand = np.array([3.0, 2.0, 1.0])
    learned = np.array([0.1, 0.2, 0.9])  # the model prefers the hand order's last unit
    assert np.allclose(zscores(np.array([5.0, 5.0])), 0.0)  # all alike: nothing to tell apart
    assert np.argmax(fused(hand, learned, 0.0)) == 0
    assert np.argmax(fused(hand, learned, 0.5)) == 0
    assert np.argmax(fused(hand, learned, 2.0)) == 2
    # only the spread counts: scaling either side changes nothing
    assert np.allclose(fused(hand * 10, learned * 3 + 1, 0.7), fused(hand, learned, 0.7))


def test_a_question_the_model_cannot_read_gets_less_of_its_weight_and_none_below_the_share():
    assert fusion_weight(0.5, 1.0, 0.5) == 0.5
    assert fusion_weight(0.5, 0.8, 0.5) == pytest.approx(0.4)
    assert fusion_weight(0.5, 0.5, 0.5) == pytest.approx(0.25)
    assert fusion_weight(0.5, 0.49, 0.5) == 0.0  # most words unknown: the hand order alone
    assert fusion_weight(0.5, 0.2, 0.0) == pytest.approx(0.1)
    assert fusion_weight(0.5, 0.0, 0.0) == 0.0


def test_the_scorer_is_one_setting():
    assert Path(load_settings(env={}).scorer) == SCORER_DIR  # the shipped one (card models/scorer/model.md)
    assert Path(load_settings(env={"RAG_SCORER": "models/scorer"}).scorer) == SCORER_DIR
    assert load_settings(env={"RAG_SCORER": "none"}).scorer == HAND_ORDER


def test_a_missing_or_broken_scorer_says_what_to_do(tmp_path: Path):
    with pytest.raises(ConfigError, match="RAG_SCORER=none"):
        LearnedScorer.load(tmp_path / "nowhere")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / CARD).write_text("{", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot be read"):
        LearnedScorer.load(broken)
    (broken / CARD).write_text(json.dumps({"weight": 0.5}), encoding="utf-8")
    with pytest.raises(ConfigError, match="lacks model.onnx"):
        LearnedScorer.load(broken)


def test_a_scorer_reads_its_card_and_ranks_the_answering_unit_first(packaged_scorer: Path):
    from rag.answer.candidates import candidate
    from rag.answer.params import DEFAULTS
    from rag.types import Passage

    scorer = LearnedScorer.load(packaged_scorer)
    assert scorer.card.weight == 0.5 and "packaged" in scorer.card.trained_on
    texts = ["The intake valve is cleaned every month.", "The default port of the server is 8080.",
             "The server was first released in 2019."]
    table = [candidate(Passage("a.txt", 0, len(t), t), 0.5, 0.5) for t in texts]  # the hand order cannot tell
    sims = scorer.similarities("What is the default port of the server?", table, DEFAULTS)
    assert sims.shape == (3,) and int(np.argmax(sims)) == 1
    order = scorer.order("What is the default port of the server?", table, DEFAULTS)
    assert int(np.argmax(order)) == 1


def test_the_pipeline_orders_candidates_by_the_scorer_it_is_given(tmp_path: Path, packaged_scorer: Path):
    from conftest import ann_lee_docs, fake_app

    ann_lee_docs(tmp_path)
    app = fake_app(tmp_path, scorer=str(packaged_scorer))
    decision = app.pipeline.decide("When was Ann Lee born?")
    scorer = app.pipeline.scorer()
    assert scorer is not None and len(decision.candidates) > 1
    orders = [c.order for c in decision.candidates]
    assert orders == sorted(orders, reverse=True)
    # the orders are fused z-scores: they centre on zero among the question's candidates
    assert abs(float(np.mean(orders))) < 1e-6
    # each candidate carries the model's own score of it (a cosine here), which the confidence reads
    learned = [c.learned for c in decision.candidates]
    assert all(v is not None for v in learned)
    assert np.allclose(learned, scorer.similarities("When was Ann Lee born?", decision.candidates,
                                                    app.pipeline.params), atol=1e-5)
    row = dict(zip(FEATURES, decision.confidence_features, strict=True))
    assert row["learned_scored"] == 1.0 and row["top_learned"] == pytest.approx(learned[0])
    assert row["learned_margin"] == pytest.approx(learned[0] - max(learned[1:]))
    (tmp_path / "hand").mkdir()
    ann_lee_docs(tmp_path / "hand")
    hand = fake_app(tmp_path / "hand", scorer=HAND_ORDER)
    assert hand.pipeline.scorer() is None
    by_hand = hand.pipeline.decide("When was Ann Lee born?")
    assert by_hand.candidates and all(c.learned is None for c in by_hand.candidates)
    assert dict(zip(FEATURES, by_hand.confidence_features, strict=True))["learned_scored"] == 0.0


def test_a_scorer_folder_moved_elsewhere_still_loads_and_scores_alike(tmp_path: Path, packaged_scorer: Path):
    from rag.answer.candidates import candidate
    from rag.answer.params import DEFAULTS
    from rag.types import Passage

    copy = tmp_path / "moved"
    shutil.copytree(packaged_scorer, copy)
    table = [candidate(Passage("a.txt", 0, 20, t), 0.5, 0.5) for t in ("Seals are blue.", "Valves are red.")]
    first, moved = LearnedScorer.load(packaged_scorer), LearnedScorer.load(copy)
    assert moved.card == first.card
    assert np.allclose(moved.similarities("What colour are seals?", table, DEFAULTS),
                       first.similarities("What colour are seals?", table, DEFAULTS))


def test_a_damaged_model_file_is_reported_at_start_up_with_what_to_do(tmp_path: Path, packaged_scorer: Path):
    from conftest import ann_lee_docs, fake_app

    damaged = tmp_path / "damaged"
    shutil.copytree(packaged_scorer, damaged)
    (damaged / "model.onnx").write_bytes(b"not an onnx model")
    ann_lee_docs(tmp_path)
    app = fake_app(tmp_path, scorer=str(damaged))
    with pytest.raises(ConfigError, match="cannot be loaded.*RAG_SCORER=none"):
        app.pipeline.warm_up_scorer()
    with pytest.raises(ConfigError, match="cannot be loaded"):  # and at a question, not an onnxruntime trace
        app.pipeline.decide("When was Ann Lee born?")
    assert (damaged / "model.onnx").read_bytes() == b"not an onnx model"  # nothing rewritten
    (tmp_path / "good" / "docs").mkdir(parents=True)
    good = fake_app(tmp_path / "good", scorer=str(packaged_scorer))
    good.pipeline.warm_up_scorer()
    assert good.pipeline.scorer()._embedder._session is not None  # loaded before any question


def _stack_only(column: str) -> dict:
    """A stacked ranker's card entry that orders by one of its columns alone."""
    from rag.answer.rank import STACKED

    coef = [1.0 if name == column else 0.0 for name in STACKED]
    return {"names": list(STACKED), "mean": [0.0] * len(STACKED), "scale": [1.0] * len(STACKED), "coef": coef}


def test_stacked_rows_are_the_features_then_both_z_scores_and_none_of_the_model_it_cannot_read():
    from rag.answer.rank import FEATURES, STACKED, stacked_rows

    features = np.arange(3 * len(FEATURES), dtype=float).reshape(3, len(FEATURES))
    rows = stacked_rows(features, np.array([3.0, 2.0, 1.0]), np.array([0.1, 0.2, 0.9]), 1.0)
    assert rows.shape == (3, len(STACKED))
    assert np.allclose(rows[:, : len(FEATURES)], features)
    assert np.allclose(rows[:, -2], zscores(np.array([3.0, 2.0, 1.0])))
    assert int(np.argmax(rows[:, -1])) == 2
    assert np.allclose(stacked_rows(features, np.array([3.0, 2.0, 1.0]), np.array([0.1, 0.2, 0.9]), 0.0)[:, -1], 0)


def test_a_card_with_a_stacked_ranker_orders_by_it(tmp_path: Path, packaged_scorer: Path):
    from rag.answer.candidates import candidate
    from rag.answer.params import DEFAULTS
    from rag.answer.rank import FEATURES
    from rag.types import Passage

    texts = ["The intake valve is cleaned every month.", "The default port of the server is 8080.",
             "The server was first released in 2019."]
    # the hand order prefers the first unit, the model the second
    table = [candidate(Passage("a.txt", 0, len(t), t), 0.5, 0.5) for t in texts]
    table = [dataclasses.replace(c, order=o, features=(0.0,) * len(FEATURES))  # as a candidate table fills them
             for c, o in zip(table, (3.0, 1.0, 2.0), strict=True)]
    question = "What is the default port of the server?"
    for column, best in (("hand_z", 0), ("learned_z", 1)):
        folder = tmp_path / column
        shutil.copytree(packaged_scorer, folder)
        card = json.loads((folder / CARD).read_text(encoding="utf-8"))
        (folder / CARD).write_text(json.dumps({**card, "stack": _stack_only(column)}), encoding="utf-8")
        scorer = LearnedScorer.load(folder)
        assert scorer.card.stack is not None
        assert int(np.argmax(scorer.order(question, table, DEFAULTS))) == best
    # a question the model cannot read: its z-scores are left out, whatever the ranker weighs
    russian = "Какой порт у сервера по умолчанию?"
    assert np.allclose(LearnedScorer.load(tmp_path / "learned_z").order(russian, table, DEFAULTS), 0.0)


def test_a_question_mostly_in_other_letters_than_latin_is_not_read_whatever_its_words():
    from rag.answer.params import DEFAULTS
    from rag.answer.scorer import latin_share, question_share, readable

    assert latin_share("What is the default port?") == 1.0 and latin_share("42 / 7") == 1.0
    mixed = "Какое значение по умолчанию у Aptitude::UI::Pause-After-Download?"  # half its letters Latin
    assert 0.5 < latin_share(mixed) < 0.6
    russian = "Где aptitude хранит лог и как его включить?"  # short Cyrillic words the vocabulary holds whole
    assert latin_share(russian) < 0.5
    words_read = question_share(SCORER_DIR, russian, dataclasses.replace(DEFAULTS, scorer_min_latin=0.0))
    assert readable(words_read, DEFAULTS.scorer_min_share)  # read by its words alone
    assert question_share(SCORER_DIR, russian, DEFAULTS) == 0.0  # not read: most of its letters are Cyrillic
    english = 'How many bytes does "Здравствуйте" take when encoded as a Rust String?'  # a training question
    assert readable(question_share(SCORER_DIR, english, DEFAULTS), DEFAULTS.scorer_min_share)


def _unreadable_by(column: str) -> dict:
    """A card's ranker for questions the models cannot read, ordering by one of its columns alone."""
    from rag.answer.rank import STACKED_UNREADABLE

    coef = [1.0 if name == column else 0.0 for name in STACKED_UNREADABLE]
    return {"names": list(STACKED_UNREADABLE), "mean": [0.0] * len(STACKED_UNREADABLE),
            "scale": [1.0] * len(STACKED_UNREADABLE), "coef": coef}


def test_a_card_with_a_ranker_for_questions_its_models_cannot_read_orders_those_by_it(
        tmp_path: Path, packaged_cross_scorer: Path):
    from rag.answer.candidates import candidate
    from rag.answer.params import DEFAULTS
    from rag.answer.rank import COLUMN, FEATURES, STACKED_UNREADABLE, Ranker
    from rag.answer.scorer import set_unreadable_ranker
    from rag.types import Passage

    texts = ["Клапан чистят раз в месяц.", "Порт сервера по умолчанию 8080.", "Сервер вышел в 2019 году.",
             "Порты ниже 1024 требуют root."]
    local = (0.1, 0.9, 0.95, 0.3)  # the ranker reads this column alone
    table = [dataclasses.replace(candidate(Passage("a.txt", 0, len(t), t), 0.5, 0.5), order=o,
                                 features=tuple(x if i == COLUMN["local"] else 0.0 for i in range(len(FEATURES))))
             for t, o, x in zip(texts, (4.0, 3.0, 2.0, 1.0), local, strict=True)]
    folder = tmp_path / "scorer"
    shutil.copytree(packaged_cross_scorer, folder)
    card = json.loads((folder / CARD).read_text(encoding="utf-8"))
    (folder / CARD).write_text(json.dumps({**card, "stack": _stack_only("learned_z"), "unreadable": "hand"}),
                               encoding="utf-8")
    english = "What is the default port of the server?"
    before = LearnedScorer.load(folder).order(english, table, DEFAULTS)
    set_unreadable_ranker(folder, Ranker.from_json(_unreadable_by("local"), STACKED_UNREADABLE))
    scorer = LearnedScorer.load(folder)
    assert scorer.card.unreadable is not None and not scorer.card.unreadable_by_hand
    ranked = scorer.rank("Какой порт у сервера по умолчанию?", table, DEFAULTS)
    # the first two (the card's "first") are ordered by the ranker, the rest below them in the hand order, however
    # the ranker would score them
    assert ranked.order[1] > ranked.order[0] > ranked.order[2] > ranked.order[3]
    assert np.isnan(ranked.learned).all()  # no model read it: nothing for the confidence
    assert np.allclose(scorer.order(english, table, DEFAULTS), before)  # English as before
    # a ranker over other columns, or a card naming something else, is refused
    with pytest.raises(ValueError, match="hand_z"):
        set_unreadable_ranker(folder, Ranker.from_json(_stack_only("hand_z"), STACKED))
    (folder / CARD).write_text(json.dumps({**card, "unreadable": "model"}), encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot be read"):
        LearnedScorer.load(folder)


def test_the_shipped_scorer_orders_russian_questions_by_its_ranker_for_them():
    from rag.answer.rank import STACKED_UNREADABLE

    card = LearnedScorer.load(SCORER_DIR).card
    assert card.unreadable is not None and card.unreadable.names == STACKED_UNREADABLE
    assert "debian_faq_ru" in card.unreadable.fitted_on  # scripts/russian_order.py --write


def test_a_stacked_ranker_of_other_columns_is_refused(tmp_path: Path, packaged_scorer: Path):
    folder = tmp_path / "old"
    shutil.copytree(packaged_scorer, folder)
    card = json.loads((folder / CARD).read_text(encoding="utf-8"))
    stack = _stack_only("hand_z")
    stack["names"] = stack["names"][:-1]
    (folder / CARD).write_text(json.dumps({**card, "stack": stack}), encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot be read"):
        LearnedScorer.load(folder)


def test_a_cross_encoder_reorders_only_the_first_candidates_its_card_names(tmp_path: Path,
                                                                           packaged_cross_scorer: Path):
    from rag.answer.candidates import candidate
    from rag.answer.pairs import OnnxCrossEncoder
    from rag.answer.params import DEFAULTS
    from rag.answer.rank import FEATURES
    from rag.answer.scorer import CROSS
    from rag.types import Passage

    texts = ["The intake valve is cleaned every month.", "The default port of the server is 8080.",
             "The server was first released in 2019.", "Ports below 1024 need root."]
    table = [dataclasses.replace(candidate(Passage("a.txt", 0, len(t), t), 0.5, 0.5), order=o,
                                 features=(0.0,) * len(FEATURES))
             for t, o in zip(texts, (4.0, 3.0, 2.0, 1.0), strict=True)]  # in the hand order, as answering has it
    question = "What is the default port of the server?"
    scorer = LearnedScorer.load(packaged_cross_scorer)
    assert scorer.card.kind == CROSS and scorer.card.first == 2 and scorer.card.max_tokens == 160
    pairs = OnnxCrossEncoder(packaged_cross_scorer, 160)
    scores = pairs.scores(question, texts)
    assert scores.shape == (4,) and len(set(scores.round(6))) == 4
    # each pair is run alone: its score does not depend on the others scored with it
    assert np.allclose([pairs.scores(question, [t])[0] for t in texts], scores)
    assert np.allclose(scorer.similarities(question, table, DEFAULTS), scores)
    card = json.loads((packaged_cross_scorer / CARD).read_text(encoding="utf-8"))
    folder = tmp_path / "learned_z"
    shutil.copytree(packaged_cross_scorer, folder)
    (folder / CARD).write_text(json.dumps({**card, "stack": _stack_only("learned_z")}), encoding="utf-8")
    ranked = LearnedScorer.load(folder).rank(question, table, DEFAULTS)
    order = ranked.order
    assert np.allclose(order, LearnedScorer.load(folder).order(question, table, DEFAULTS))
    # the model's own scores come with the order, for the confidence: the first two's logits, none past them
    assert np.allclose(ranked.learned[:2], scores[:2]) and np.isnan(ranked.learned[2:]).all()
    # the first two are ordered by the model alone; the last two stay below them, in the hand order
    assert int(np.argmax(order[:2])) == int(np.argmax(scores[:2]))
    assert order[2] > order[3] and order[2] < order[:2].min()
    assert int(np.argmax(order)) in (0, 1)
    # a card that keeps the hand order for a question the model cannot read: Russian keeps it whole
    (folder / CARD).write_text(json.dumps({**card, "stack": _stack_only("learned_z"), "unreadable": "hand"}),
                               encoding="utf-8")
    blind = LearnedScorer.load(folder)
    assert blind.card.unreadable_by_hand
    russian = blind.rank("Какой порт у сервера по умолчанию?", table, DEFAULTS)
    assert list(russian.order) == [4.0, 3.0, 2.0, 1.0] and np.isnan(russian.learned).all()
    assert np.allclose(blind.order(question, table, DEFAULTS), order)  # English as before


def test_a_cross_encoder_with_a_bi_encoder_beside_it_stacks_both_and_keeps_shared_weights_once(
        tmp_path: Path, packaged_cross_bi_scorer: Path, packaged_cross_scorer: Path, packaged_scorer: Path):
    from rag.answer.candidates import candidate
    from rag.answer.params import DEFAULTS
    from rag.answer.rank import FEATURES, STACKED_WITH_BI
    from rag.types import Passage

    folder = packaged_cross_bi_scorer
    files = {p.name for p in folder.iterdir()}
    assert {"model.onnx", "bi.onnx", "weights.bin", "tokenizer.json", "modules.json"} <= files
    # both come from MiniLM's weights: stored once, the folder is about one model's size, not two
    one = (packaged_scorer / "model.onnx").stat().st_size
    together = sum(p.stat().st_size for p in folder.iterdir() if p.suffix in (".onnx", ".bin"))
    assert together < 1.1 * one
    texts = ["The intake valve is cleaned every month.", "The default port of the server is 8080.",
             "The server was first released in 2019.", "Ports below 1024 need root."]
    table = [dataclasses.replace(candidate(Passage("a.txt", 0, len(t), t), 0.5, 0.5), order=o,
                                 features=(0.0,) * len(FEATURES))
             for t, o in zip(texts, (4.0, 3.0, 2.0, 1.0), strict=True)]
    question = "What is the default port of the server?"
    scorer = LearnedScorer.load(folder)
    assert scorer.card.bi == "bi.onnx" and scorer.card.stack.names == STACKED_WITH_BI
    # the primary score is still the cross-encoder's, unchanged by the weights moving out of its file
    alone = LearnedScorer.load(packaged_cross_scorer)
    assert np.allclose(scorer.similarities(question, table, DEFAULTS), alone.similarities(question, table, DEFAULTS))
    # the stack weighs only the bi-encoder's column: the first two go by the packaged MiniLM's similarity
    cosines = LearnedScorer.load(packaged_scorer).similarities(question, table[:2], DEFAULTS)
    order = scorer.order(question, table, DEFAULTS)
    assert np.allclose(order[:2], zscores(cosines))
    assert int(np.argmax(order)) == 1  # the unit naming the port, which the hand order put second
    assert order[2] > order[3] and order[2] < order[:2].min()
    # a card naming a bi-encoder without a stack that reads it, or without its file, is refused with what to do
    card = json.loads((folder / CARD).read_text(encoding="utf-8"))
    broken = tmp_path / "broken"
    shutil.copytree(folder, broken)
    (broken / CARD).write_text(json.dumps({k: v for k, v in card.items() if k != "stack"}), encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot be read"):
        LearnedScorer.load(broken)
    (broken / CARD).write_text(json.dumps(card), encoding="utf-8")
    (broken / "bi.onnx").unlink()
    with pytest.raises(ConfigError, match="lacks bi.onnx"):
        LearnedScorer.load(broken)


def test_a_cross_encoder_reading_the_sentence_before_gets_it_and_its_bi_encoder_does_not(
        tmp_path: Path, packaged_cross_bi_scorer: Path, packaged_scorer: Path):
    """A card with "reads": "unit+before" (scripts/cross_encoder.py train --reads): the cross-encoder reads each
    unit and then the sentence before it after MiniLM's separator token, as it was trained; the bi-encoder beside
    it reads the unit as it was trained to. An unknown "reads" is refused at start-up."""
    from rag.answer.candidates import candidate, model_text
    from rag.answer.pairs import OnnxCrossEncoder
    from rag.answer.params import DEFAULTS
    from rag.answer.rank import FEATURES
    from rag.types import Passage

    units = [("The default is 8080.", "The server listens on one port."), ("It was released in 2019.", "")]
    table = [dataclasses.replace(candidate(Passage("a.txt", 0, len(t), t), 0.5, 0.5, before=b), order=o,
                                 features=(0.0,) * len(FEATURES))
             for (t, b), o in zip(units, (2.0, 1.0), strict=True)]
    assert model_text(table[0], "unit+before") == "The default is 8080. [SEP] The server listens on one port."
    assert model_text(table[0]) == "The default is 8080."  # as every card before "reads" existed
    assert model_text(table[1], "unit+before") == "It was released in 2019."  # nothing before it: the unit alone
    question = "Which port does the server listen on?"
    card = json.loads((packaged_cross_bi_scorer / CARD).read_text(encoding="utf-8"))
    folder = tmp_path / "before"
    shutil.copytree(packaged_cross_bi_scorer, folder)
    (folder / CARD).write_text(json.dumps({**card, "reads": "unit+before"}), encoding="utf-8")
    scorer = LearnedScorer.load(folder)
    assert scorer.card.reads == "unit+before"
    pairs = OnnxCrossEncoder(folder, scorer.card.max_tokens)
    read = [model_text(c, "unit+before") for c in table]
    assert np.allclose(scorer.similarities(question, table, DEFAULTS), pairs.scores(question, read))
    assert not np.allclose(pairs.scores(question, read)[0], pairs.scores(question, [units[0][0]])[0])
    assert np.allclose(scorer.rank(question, table, DEFAULTS).learned, pairs.scores(question, read))
    # the stack reads only the bi-encoder's column here: the units alone, as the packaged MiniLM embeds them
    cosines = LearnedScorer.load(packaged_scorer).similarities(question, table, DEFAULTS)
    assert np.allclose(scorer.order(question, table, DEFAULTS), zscores(cosines))
    (folder / CARD).write_text(json.dumps({**card, "reads": "the whole file"}), encoding="utf-8")
    with pytest.raises(ConfigError, match="reads"):
        LearnedScorer.load(folder)
    bi_card = json.loads((packaged_scorer / CARD).read_text(encoding="utf-8"))
    bi_folder = tmp_path / "bi-before"
    shutil.copytree(packaged_scorer, bi_folder)
    (bi_folder / CARD).write_text(json.dumps({**bi_card, "reads": "unit+before"}), encoding="utf-8")
    with pytest.raises(ConfigError, match="reads"):  # a bi-encoder was never trained to read the sentence before
        LearnedScorer.load(bi_folder)


APTITUDE_DOCS = PROJECT_ROOT / "tests" / "data" / "aptitude_ru" / "docs"
HINTS_Q = "Куда записывать подсказки (hints) для интерактивного решателя зависимостей?"  # aptitude_ru tuning a17


@pytest.mark.slow
def test_with_the_real_packaged_model_a_russian_question_is_answered_from_the_unit_its_ranker_puts_first(
        tmp_path: Path, indexed_folder):
    """The shipped card orders a Russian question by its ranker for questions the models cannot read; kept in the
    hand order (the card before it), the answer quoted the section's opening sentence, which names hints and not
    where they go; the ranker puts the sentence naming the file first."""
    from dataclasses import replace

    from rag.pipeline import Pipeline

    app = indexed_folder(tmp_path / "ru", docs=APTITUDE_DOCS).app
    hand_card = tmp_path / "hand-card"  # the shipped scorer, its card keeping the hand order for Russian
    hand_card.mkdir()
    for f in SCORER_DIR.iterdir():
        if f.name != CARD:
            (hand_card / f.name).symlink_to(f)
    card = json.loads((SCORER_DIR / CARD).read_text(encoding="utf-8"))
    (hand_card / CARD).write_text(json.dumps({**card, "unreadable": "hand"}), encoding="utf-8")
    by_hand = Pipeline(replace(app.settings, scorer=str(hand_card)), app.store, app.embedder,
                       app.pipeline.generator).ask(HINTS_Q)
    assert by_hand.citations and "/etc/apt/apt.conf" not in by_hand.answer
    answer = app.pipeline.ask(HINTS_Q)
    assert "/etc/apt/apt.conf" in answer.answer and "ProblemResolver::Hints" in answer.answer
    assert any("/etc/apt/apt.conf" in c.quote for c in answer.citations)
    assert answer.citations[0].source.endswith("ch02s03s05.html")
