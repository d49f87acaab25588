"""bench/frontier on a tiny slice: the answer cache (keys, resume, file modes), scoring of
cached answers without a cloud, and the table and PNG it writes."""

from __future__ import annotations

import asyncio
import json
import stat
import sys
from pathlib import Path

import pytest

FRONTIER = Path(__file__).resolve().parents[2] / "bench" / "frontier"
sys.path.insert(0, str(FRONTIER))

import cloud_answers as answers  # noqa: E402
import frontier_plans as plans  # noqa: E402
import frontier_report as report  # noqa: E402
import frontier_settings  # noqa: E402
import plan_leakage as leakage  # noqa: E402


def _load_run():
    """bench/frontier/run.py under its own module name (other benches have a run.py too)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("frontier_run", FRONTIER / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


run = _load_run()

RECORDS = [
    {
        "id": "t-0",
        "text": "My name is Ada Quist and I live in Oslo. Write me a cover letter.",
        "pii_units": ["ada quist", "oslo", "me"],  # "me" is under 3 characters: not scored
        "reference_redacted": "My name is [REDACTED] and I live in [REDACTED]. Write me a "
        "cover letter.",
    },
    {
        "id": "t-1",
        "text": "How do I sort a list in Python?",
        "pii_units": [],
        "reference_redacted": "How do I sort a list in Python?",
    },
]


def test_answer_cache_keys_resume_and_modes(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "answers.jsonl"
    cache = answers.AnswerCache(path)
    key = answers.answer_key("m", 64, "hello")
    assert key != answers.answer_key("m", 128, "hello")
    assert key != answers.answer_key("other", 64, "hello")
    assert key != answers.answer_key("m", 64, "hello ")  # exact text
    assert key != answers.answer_key("m", 64, "hello", temperature=0.7)
    cache.put(key, {"answer": "hi"})
    # another run (a second slice) sees it, and a line being written is not read half
    later = answers.AnswerCache(path)
    assert later.get(key)["answer"] == "hi"
    with path.open("a") as f:
        f.write('{"key": "partial", "answ')
    assert later.get("partial") is None
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert "hello" not in path.read_text()  # the prompt is never stored, only its hash


def test_cached_answers_are_scored_without_a_cloud(tmp_path: Path) -> None:
    cache = answers.AnswerCache(tmp_path / "a.jsonl")
    answerer = answers.Answerer(cache, model="m", max_tokens=64)
    rows = plans.baseline_rows(RECORDS, lambda r: [r["reference_redacted"]])
    assert [r["leaked"] for r in rows] == [[], []]
    rows[0]["vault"] = {"[PERSON_1]": "Ada Quist"}
    cache.put(
        answers.answer_key("m", 64, RECORDS[0]["reference_redacted"]),
        {"answer": "Dear [PERSON_1], here is a letter."},
    )
    got = asyncio.run(run.answer_rows(rows, answerer, generate=False))
    assert got == ["Dear Ada Quist, here is a letter.", None]  # second: not cached, no cloud
    assert answerer.generated == 0 and answerer._proc is None
    raw = plans.baseline_rows(RECORDS, lambda r: [r["text"]])
    assert raw[0]["leaked"] == ["ada quist", "oslo"]
    s = leakage.summary(raw)
    assert (s["units"], s["leaked"], s["leakage"]) == (2, 2, 1.0)


@pytest.fixture
def results() -> list[dict]:
    def row(name, leak, quality, *, point=False, default=False):
        return {
            "name": name,
            "description": name,
            "default": default,
            "point": point,
            "queries": 2,
            "units": 100,
            "leaked": int(leak * 100),
            "leakage": leak,
            "blocked": 0,
            "over_hidden_per_query": 1.5,
            "quality": quality,
            "quality_n": 0 if quality is None else 2,
            "share_ge_0_9": None if quality is None else 0.5,
        }

    return [
        row("raw", 0.95, 1.0, point=True),
        row("presidio", 0.25, 0.97, point=True),
        row("pupa-reference", 0.017, None, point=True),
        row("engine-only", 0.08, 0.95),
        row("default", 0.03, 0.9, default=True),
        row("shift+1.0", 0.02, None),
    ]


def test_table_and_png_are_written(tmp_path: Path, results: list[dict]) -> None:
    text = report.write_table(results, tmp_path / "f.md", note="note line")
    assert text.startswith("note line")
    lines = (tmp_path / "f.md").read_text().splitlines()
    body = [x for x in lines if x.startswith("| ") and "setting" not in x]
    assert len(body) == len(results)
    assert any("**default** (default)" in x and "3.0%" in x and "0.900" in x for x in body)
    assert any(x.startswith("| shift+1.0") and "n/a" in x for x in body)
    # settings first by leakage, the points after them
    names = [x.split("|")[1].strip() for x in body]
    assert names[:3] == ["shift+1.0", "**default** (default)", "engine-only"]
    report.write_png(results, tmp_path / "f.png")
    png = (tmp_path / "f.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000


def test_every_setting_is_valid_edge_settings() -> None:
    from privsplit.edge.settings import EdgeSettings

    for name, (overrides, _) in run.SETTINGS.items():
        settings = EdgeSettings.load(**overrides)
        assert settings.pipeline.hide_terms is not None, name
    assert run.DEFAULT_SETTING in run.SETTINGS
    assert json.dumps(run.SETTINGS)  # written into the results as they are


def test_plans_made_by_other_code_are_marked_stale(tmp_path: Path, results: list[dict]) -> None:
    args = run.parse_args(["--out-dir", str(tmp_path)])
    rows = plans.plans_for("raw", RECORDS, args)  # raw depends on no detection code
    assert plans.plan_is_current("raw", args) and len(rows) == 2
    (tmp_path / "plan-presidio.jsonl").write_text("")
    assert not plans.plan_is_current("presidio", args)  # no stamp: made before stamps existed
    (tmp_path / "plan-presidio.code").write_text(plans.code_fingerprint())
    assert plans.plan_is_current("presidio", args)
    (tmp_path / "plan-presidio.code").write_text("0" * 16)  # made by other code
    assert not plans.plan_is_current("presidio", args)
    results[-1]["stale"] = True  # shift+1.0
    text = report.write_table(results, tmp_path / "f.md")
    assert "| shift+1.0 (stale) |" in text and "`--replan-stale`" in text
    assert "| **default** (default) |" in text


def test_a_stopped_plan_resumes_from_its_saved_rows(tmp_path: Path) -> None:
    args = run.parse_args(["--out-dir", str(tmp_path)])
    path = tmp_path / "plan-raw.jsonl"
    saved = {**plans.baseline_rows(RECORDS[:1], lambda r: [r["text"]])[0], "seconds": 7.5}
    # a run stopped after one row, in the middle of writing the next
    path.write_text(json.dumps(saved) + '\n{"id": "t-1", "rou', "utf-8")
    rows = plans.plans_for("raw", RECORDS, args)
    assert [r["id"] for r in rows] == ["t-0", "t-1"]
    assert rows[0]["seconds"] == 7.5  # kept, not planned again
    lines = [json.loads(x) for x in path.read_text("utf-8").splitlines()]
    assert [r["id"] for r in lines] == ["t-0", "t-1"]  # the torn line is gone
    # --replan plans every record again
    again = plans.plans_for(
        "raw", RECORDS, run.parse_args(["--out-dir", str(tmp_path), "--replan"])
    )
    assert again[0]["seconds"] == 0.0


def test_a_saved_plan_is_counted_by_the_current_leak_metric(tmp_path: Path) -> None:
    """A plan needing no replanning (raw) keeps its rows; what leaked is counted again, so a
    corrected metric reaches it (a count saved by the old CJK-blind metric said nothing)."""
    args = run.parse_args(["--out-dir", str(tmp_path)])
    record = {"id": "t-9", "text": "告诉Tim，从青岛到北京", "pii_units": ["tim"]}
    (saved,) = plans.baseline_rows([record], lambda r: [r["text"]])
    (tmp_path / "plan-raw.jsonl").write_text(json.dumps({**saved, "leaked": []}), "utf-8")
    (row,) = plans.plans_for("raw", [record], args)
    assert row["leaked"] == ["tim"]


def test_the_model_setting_covers_every_leak_of_its_base(tmp_path: Path) -> None:
    assert run.uses_model(run.DEFAULT_SETTING) == run.uses_model("default")
    assert run.uses_model("default") and not run.uses_model("no-model")
    records = [*RECORDS, {**RECORDS[0], "id": "t-2"}]
    base = plans.baseline_rows(records, lambda r: [r["text"]])  # leaks on t-0 and t-2
    args = run.parse_args(
        ["--out-dir", str(tmp_path), "--model-limit", "2", "--model-on-leaks", "no-model"]
    )
    chosen = run.model_records(records, {"no-model": base}, args)
    assert [r["id"] for r in chosen] == ["t-0", "t-2", "t-1"]  # every leak first, then the head
    args = run.parse_args(
        ["--out-dir", str(tmp_path), "--model-limit", "1", "--model-on-leaks", "no-model"]
    )
    chosen = run.model_records(records, {"no-model": base}, args)
    assert [r["id"] for r in chosen] == ["t-0", "t-2"]
    own = [{**base[0], "leaked": []}, {**base[2], "leaked": []}]  # the model hid both
    rows = run.fill_from_base(own, records, base, args)
    assert [r["id"] for r in rows] == ["t-0", "t-1", "t-2"]
    assert rows[1]["from"] == "no-model" and "from" not in rows[0]
    assert leakage.summary(rows)["leaked"] == 0
    with pytest.raises(ValueError):  # a base leak the setting did not plan is never filled
        run.fill_from_base(own[:1], records, base, args)
    with pytest.raises(SystemExit):
        run.model_records(records, {}, args)  # the base must be planned first


def test_quality_is_also_compared_on_the_queries_shared_with_the_default(
    tmp_path: Path, results: list[dict]
) -> None:
    ratios = {"default": {"q1": 0.5, "q2": 1.4}, "engine-only": {"q1": 0.9, "q3": 0.2}}
    for r in results:
        r["ratios"] = ratios.get(r["name"], {})
    run.paired_with_default(results)
    engine = next(r for r in results if r["name"] == "engine-only")
    # only q1 is shared: 0.9 - 0.5 (q3 is not the default's, q2 not engine-only's)
    assert engine["paired_n"] == 1 and engine["paired_delta"] == pytest.approx(0.4)
    default = next(r for r in results if r["default"])
    assert default["paired_n"] == 2 and default["paired_delta"] == 0.0
    assert next(r for r in results if r["name"] == "raw")["paired_delta"] is None
    text = report.write_table(results, tmp_path / "f.md")
    assert "| +0.400 (1 queries) |" in text and "| +0.000 (2 queries) |" in text


def test_the_paired_difference_counts_each_ratio_as_the_means_do(results: list[dict]) -> None:
    """Floored at 0 and capped at 1: a negative ratio of the default (an answer pointing away
    from A over a tiny denominator) must not inflate another row's lead."""
    ratios = {"default": {"q1": -5.3, "q2": 1.4}, "engine-only": {"q1": 0.5, "q2": 0.8}}
    for r in results:
        r["ratios"] = ratios.get(r["name"], {})
    run.paired_with_default(results)
    engine = next(r for r in results if r["name"] == "engine-only")
    assert engine["paired_delta"] == pytest.approx(((0.5 - 0.0) + (0.8 - 1.0)) / 2)


class _Cosine:
    """Cosine by a table of (answer, reference) pairs: the ratio arithmetic is under test
    here, not the sentence embedder (which ``run.measure`` uses on real answers)."""

    def __init__(self, table: dict[tuple[str, str], float]) -> None:
        self.table = table

    def cosine(self, a: list[str], b: list[str]) -> list[float]:
        return [self.table[(x, y)] for x, y in zip(a, b)]


def test_the_ratio_with_one_sample_with_k_samples_and_of_means() -> None:
    import quality

    table = {("b0", "A0"): 0.5, ("c0", "A0"): 0.9, ("d0", "A0"): 0.7, ("b1", "A1"): 0.8}
    # query 0 has A and three samples (and a fourth: the null point's answer); query 1 has
    # A and B only; query 2 has no A
    ref = quality.reference(
        _Cosine(table),
        ["A0", "A1", None],
        [["b0", "c0", "d0", "e0"], ["b1", None, None], ["b2", "c2", "d2"]],
        3,
    )
    assert ref.scored == [0, 1]
    assert ref.single == {0: 0.5, 1: 0.8}
    assert ref.multi == {0: pytest.approx(0.7)} and ref.null_answers == {0: "e0"}
    got = quality.score(ref, [0, 1], [0.63, 0.76])
    # one sample: 0.63 / 0.5 = 1.26 (capped to 1) and 0.76 / 0.8 = 0.95
    assert got["quality"] == pytest.approx((1.0 + 0.95) / 2)
    assert got["quality_uncapped"] == pytest.approx((1.26 + 0.95) / 2)
    assert got["share_ge_0_9"] == 1.0 and got["quality_n"] == 2
    # three samples, on query 0 only: 0.63 / 0.7 = 0.9
    assert got["quality_k"] == pytest.approx(0.9) and got["quality_n_k"] == 1
    assert got["ratio_of_means"] == pytest.approx(0.9)
    assert got["single"] == {0: pytest.approx(1.26), 1: pytest.approx(0.95)}
    # the raw row is A itself: 1.0 by definition; no query: no figure
    assert quality.score(ref, [0, 1], [1.0, 1.0], identity=True)["quality_k"] == 1.0
    # an answer pointing away from A is worth 0, not a negative weight on the mean
    away = quality.score(ref, [0, 1], [-0.5, 0.76])
    assert away["quality"] == pytest.approx((0.0 + 0.95) / 2)
    empty = quality.score(ref, [], [])
    assert empty["quality"] is None and empty["ratio_of_means"] is None


def test_the_null_point_is_a_baseline_answered_by_one_more_sample(tmp_path: Path) -> None:
    assert run.NULL_POINT in run.BASELINES and run.NULL_POINT in run.POINTS
    args = run.parse_args(["--out-dir", str(tmp_path), "--samples", "2"])
    assert args.samples == 2
    rows = plans.plans_for(run.NULL_POINT, RECORDS, args)  # the raw request, as raw sends it
    assert rows[0]["outbound"] == [RECORDS[0]["text"]] and plans.plan_is_current(
        run.NULL_POINT, args
    )
    # sample j has its own cache key; sample 0 keeps B's key of the first runs
    b = answers.answer_key("m", 64, "q", temperature=0.7)
    assert b == answers.answer_key("m", 64, "q", temperature=0.7, seed=answers.sample_seed(0))
    assert b != answers.answer_key("m", 64, "q", temperature=0.7, seed=answers.sample_seed(1))


def test_a_setting_with_stand_ins_is_asked_and_scored_as_the_product_asks() -> None:
    """The cloud is asked with the product's own stand-ins (privacy.standins, the same choice
    from the same text and values), and its answer decoded, then restored."""
    import tempfile

    from privsplit.edge.privacy.standins import PEOPLE, StandIns

    with tempfile.TemporaryDirectory() as tmp:
        cache = answers.AnswerCache(Path(tmp) / "a.jsonl")
        answerer = answers.Answerer(cache, model="m", max_tokens=64)
        row = {
            "outbound": ["Write to [PERSON_1] ([EMAIL_1])."],
            "vault": {"[PERSON_1]": "Ada Quist", "[EMAIL_1]": "a@q.org"},
            "hidden": ["Ada Quist", "a@q.org"],
        }
        sent = StandIns.choose(row["outbound"], row["vault"].get, row["hidden"])
        first, last = PEOPLE[0]
        assert sent.encode(row["outbound"][0]) == f"Write to {first} {last} ([EMAIL_1])."
        cache.put(
            answers.answer_key("m", 64, f"Write to {first} {last} ([EMAIL_1])."),
            {"answer": f"Dear {first}, I wrote to {last} at [EMAIL_1]."},
        )
        typed = asyncio.run(run.answer_rows([row], answerer, generate=False))
        stood = asyncio.run(run.answer_rows([row], answerer, generate=False, stand_ins=True))
    assert typed == [None]  # the typed-placeholder text was never asked
    assert stood == ["Dear Ada Quist, I wrote to Ada Quist at a@q.org."]
    assert frontier_settings.uses_stand_ins("default")
    assert not frontier_settings.uses_stand_ins("default-placeholders")
    assert not frontier_settings.uses_stand_ins("presidio")


def test_the_code_stamp_ignores_documentation_but_not_behaviour(tmp_path: Path) -> None:
    source = tmp_path / "edge" / "privacy" / "rule.py"
    source.parent.mkdir(parents=True)
    (tmp_path / "edge" / "pipeline").mkdir()

    def stamp(text: str) -> str:
        source.write_text(text)
        return plans.code_fingerprint(tmp_path)

    base = stamp('"""Rule."""\nLIMIT = 3.0\nx = Field(default=1, description="old")\n')
    documented = stamp(
        '"""Rule, better said."""\n# why 3.0\nLIMIT = 3.0\nx = Field(default=1, description="new")\n'
    )
    assert documented == base
    assert stamp('"""Rule."""\nLIMIT = 3.5\nx = Field(default=1, description="old")\n') != base
    assert stamp('"""Rule."""\nLIMIT = 3.0\nx = Field(default=2, description="old")\n') != base
    (tmp_path / "edge" / "pipeline" / "hide.txt").write_text("a prompt")  # data files count
    assert stamp('"""Rule."""\nLIMIT = 3.0\nx = Field(default=1, description="old")\n') != base


def test_the_labels_point_hides_exactly_the_labeled_units(tmp_path: Path) -> None:
    """PUPA's labels as the policy: every whole-word occurrence of a unit hidden (any case),
    typed by the detectors where they find it, nothing else hidden; sent with stand-ins."""
    record = {
        "id": "t-2",
        "text": "Ada Quist moved to Oslo; ada quist works at Brightmoor Labs. Ask Oslob.",
        "pii_units": ["ada quist", "brightmoor labs", "oslo"],
        "reference_redacted": "",
    }
    args = run.parse_args(["--out-dir", str(tmp_path)])
    (row,) = plans.plans_for(frontier_settings.LABELS_POINT, [record], args)
    (sent,) = row["outbound"]
    assert row["leaked"] == []
    assert "Oslob" in sent and "moved to" in sent  # a longer word holding a unit is no unit
    assert {v.casefold() for v in row["vault"].values()} == {"ada quist", "brightmoor labs", "oslo"}
    assert "Ada" not in sent and "ada" not in sent and "Brightmoor" not in sent
    person = next(p for p, v in row["vault"].items() if v == "Ada Quist")
    assert person.startswith("[PERSON_")  # the detectors' type where they find the words
    assert frontier_settings.uses_stand_ins(frontier_settings.LABELS_POINT)


def test_the_labels_point_hides_units_written_between_cjk_characters(tmp_path: Path) -> None:
    record = {
        "id": "t-3",
        "text": "发封英语邮件告诉Tim，他在哈尔滨工程大学读书",
        "pii_units": ["tim", "哈尔滨工程大学"],
        "reference_redacted": "",
    }
    args = run.parse_args(["--out-dir", str(tmp_path)])
    (row,) = plans.plans_for(frontier_settings.LABELS_POINT, [record], args)
    assert row["leaked"] == []
    assert set(row["vault"].values()) == {"Tim", "哈尔滨工程大学"}


def test_a_unit_written_between_cjk_characters_is_counted_as_leaked() -> None:
    """Chinese, Japanese and Korean are written without spaces: "从青岛到北京" sends both
    cities, "告诉Tim，" sends the name. A boundary test on ``\\w`` (which CJK characters
    match) counted neither."""
    sent = ["从青岛到北京上班", "发封英语邮件告诉Tim，附件是", "ein Timetable und Annika"]
    assert leakage.leaked_units(["青岛市", "tim", "ann", "北京上班"], sent) == ["tim", "北京上班"]
    assert leakage.leaked_units(["从青岛到"], sent) == ["从青岛到"]
    # a Latin letter, digit or underscore still glues: no unit inside another word
    assert leakage.leaked_units(["time", "nika", "上班x"], ["Timetable Annika 上班xy"]) == []
