"""The ``pipeline`` section of the edge settings (PRIVSPLIT_EDGE_PIPELINE__*)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from privsplit.edge.privacy.detectors.term_policy import TermPolicy


class PipelineSettings(BaseModel):
    """How a request is split: local summarize -> plan -> delegate -> merge."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["split", "redact"] = Field(
        default="split",
        description="split: the edge model summarizes, plans sub-queries and merges; "
        "redact: redact-and-forward only (no local model).",
    )
    prompt_version: str = Field(default="v1", description="Version of the prompt template files.")
    seed: int = Field(default=42, description="Seed of every local generation (temperature is 0).")
    # summarize
    chunk_chars: int = Field(default=1000, ge=200, description="Characters per document chunk.")
    chunk_overlap: int = Field(
        default=100, ge=0, description="Characters shared by neighbour chunks."
    )
    max_chunks: int = Field(
        default=6,
        ge=1,
        description="With retrieval on: chunks read per question at most (the best-ranked "
        "first; widening stops here). Questions about the whole document and retrieval off "
        "read every chunk (bounded by summarize_budget_seconds).",
    )
    retrieval: Literal["on", "off"] = Field(
        default="on",
        description="on: rank the chunks against the question (BM25), read the best "
        "retrieval_top_k first, stop when a note answers the question, else read "
        "retrieval_widen more, up to max_chunks; questions about the whole document "
        "(summarize, list all, every) still read everything. off: read every chunk in order.",
    )
    retrieval_top_k: int = Field(
        default=2, ge=1, description="Chunks read first with retrieval on (the best-ranked)."
    )
    retrieval_widen: int = Field(
        default=2,
        ge=1,
        description="Chunks added (next in rank) each time the notes do not answer the question.",
    )
    retrieval_hop: int = Field(
        default=2,
        ge=0,
        description="With retrieval on: after the ranked reading, up to this many more chunks "
        "(beyond max_chunks) that mention a name the best notes found and the question does not "
        "name (a second round for multi-hop questions: the surgeon who performed X -> the "
        "surgeon's name -> what the surgeon did). 0: no hop.",
    )
    quote_lines: int = Field(
        default=1,
        ge=0,
        description="Lines per chunk the device copies itself into the notes (those sharing most "
        "rare words with the question; no model), besides the model's quotes. 0: model only.",
    )
    compute: bool = Field(
        default=True,
        description="Amounts in the notes are converted to readable scales, and sums or "
        "differences the question asks for are computed exactly on the device (no model); "
        "the lines join the notes.",
    )
    map_max_tokens: int = Field(default=80, ge=8, description="Tokens per chunk note (map step).")
    reduce_max_tokens: int = Field(
        default=480,
        ge=8,
        description="Tokens of the condensed context; notes that fit are "
        "kept as they are, longer ones are condensed by the model.",
    )
    summarize_budget_seconds: float = Field(
        default=300.0, gt=0, description="Stop reading more chunks after this long."
    )
    max_document_chars: int = Field(
        default=1_000_000, ge=1, description="Larger documents are refused with a clear error."
    )
    # plan
    hide_terms: bool = Field(
        default=True,
        description="Rare and proper terms (unusual words, acronyms, names written in capitals, "
        "identifiers) get placeholders before anything is sent; no model needed.",
    )
    terms: TermPolicy = Field(
        default_factory=TermPolicy,
        description="What the term pass hides: rarity thresholds (zipf_shift), public "
        "vocabularies it keeps (allow), place names (places), rare English vocabulary "
        "(english_words), rare capitalized English words standing alone "
        "(capitalized_words), names after 'called'/'named' (name_cues). See docs in "
        "edge/privacy/detectors/term_policy.py.",
    )
    hide_with_model: bool = Field(
        default=True,
        description="The edge model lists identifying details the detectors missed (employers, "
        "schools, places, people); they get placeholders too.",
    )
    stand_ins: bool = Field(
        default=True,
        description="On the wire to the cloud, name placeholders ([PERSON_1], [LOCATION_1], "
        "...) become made-up names of their type ('Riley Hartwell', 'Riverton'), and the "
        "answer's made-up names become the placeholders again before restore "
        "(edge/privacy/standins.py). What is hidden does not change; false: placeholders "
        "go as they are.",
    )
    hide_chunk_chars: int = Field(default=2500, ge=200, description="Characters per hide call.")
    hide_max_chunks: int = Field(
        default=6,
        ge=1,
        description="Hide calls per request at most. The hider reads the whole request: one "
        "that needs more calls (about 15,000 characters by default) is refused with "
        "IncompleteCoverage, never read in part. Attach long text as a document (condensed "
        "on the device) or raise this (each call costs a model run).",
    )
    hide_max_items: int = Field(
        default=10, ge=1, description="Details listed per hide call at most."
    )
    hide_max_tokens: int = Field(default=200, ge=16, description="Tokens a hide call may write.")
    model_output_failure: Literal["closed", "best_effort"] = Field(
        default="closed",
        description="When the edge model's answer to a privacy step (the hider, the contextual "
        "detector) cannot be parsed even after one retry: closed refuses the request "
        "(ModelOutputInvalid, nothing is sent); best_effort sends it without that answer. "
        "Either way the audit record says which mode applied (decisions.model_output).",
    )
    decompose: Literal["documents", "always", "never"] = Field(
        default="documents",
        description="When the edge model rewrites the request into sub-queries: only when documents "
        "are attached (default), always, or never (the hidden request is sent as is).",
    )
    plan_can_stay_local: bool = Field(
        default=True,
        description="With documents, the planner may decide that the condensed private context "
        "already answers the request; the device then answers alone and nothing is sent.",
    )
    max_subqueries: int = Field(
        default=3, ge=1, le=8, description="Sub-queries per request at most."
    )
    plan_max_tokens: int = Field(default=384, ge=16, description="Tokens the planner may write.")
    plan_max_input_chars: int = Field(
        default=6000,
        ge=200,
        description="Longer requests skip the planner and send the redacted request as the "
        "only sub-query (the edge model's context is small).",
    )
    local_only_entities: list[str] = Field(
        default_factory=list,
        description="Entity types that keep the whole request on the device (route=local).",
    )
    blocked_entities: list[str] = Field(
        default_factory=list, description="Entity types that refuse the request (route=blocked)."
    )
    # delegate
    max_parallel: int = Field(default=3, ge=1, description="Sub-queries in flight at once.")
    # merge
    merge: Literal["auto", "model", "restore"] = Field(
        default="auto",
        description="model: the edge model writes the final answer from the cloud answers and the "
        "private context; restore: cloud answers are joined and restored; auto: model "
        "when there are several sub-queries or documents, else restore.",
    )
    merge_max_tokens: int = Field(default=256, ge=8, description="Tokens of the merged answer.")
    local_max_tokens: int = Field(default=256, ge=8, description="Tokens of a local-only answer.")
    # cascade (privsplit.edge.pipeline.cascade; measured by bench/collaboration/run.py)
    cascade: Literal["off", "on"] = Field(
        default="off",
        description="on: the edge model answers a request without documents first and keeps its "
        "answer when its confidence (mean token log-probability) reaches cascade_threshold; "
        "nothing is sent then. Otherwise the request goes to the cloud as usual "
        "(route cascade-escalated).",
    )
    cascade_threshold: float = Field(
        default=-0.25,
        le=0,
        description="Lowest mean token log-probability of a draft that is kept (0 is certain). "
        "-0.25 was measured (bench/collaboration/run.py, 0.5B edge model): 35% of a mixed "
        "simple + PUPA set answered on the device, quality ratio lowered by 0.017; below about "
        "-0.3 quality falls fast.",
    )
    cascade_overrides: dict[Literal["plain", "private"], float | Literal["off"]] = Field(
        default_factory=dict,
        description="Per kind of request, 'off' or a threshold of its own: plain (the detectors "
        "found nothing private) or private (it carries values that get placeholders). A kind "
        "listed here follows its entry even when cascade is off.",
    )
    cascade_max_tokens: int = Field(
        default=48,
        ge=4,
        le=1024,
        description="Tokens of the draft; a draft cut off there is never kept (and its time is "
        "the edge time the cascade adds to an escalated request).",
    )
    cascade_max_input_chars: int = Field(
        default=2000, ge=1, description="Longer requests are not drafted: they go to the cloud."
    )
    cascade_show_draft: bool = Field(
        default=False,
        description="When the cloud answers, also show the device's draft (a 'draft' event and "
        "AskResult.draft); off: the draft is dropped unseen.",
    )

    @model_validator(mode="after")
    def _overlap_fits(self) -> PipelineSettings:
        if self.chunk_overlap >= self.chunk_chars:
            raise ValueError("chunk_overlap must be smaller than chunk_chars")
        return self
