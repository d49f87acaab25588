"""bench/frontier: the frontier's table (markdown) and picture (PNG, matplotlib).

Contract: ``write_table(results, path, note=)`` and ``write_png(results, path)`` take the
rows ``run.measure`` returns (name, description, default, point, stale, leakage, leaked,
units, blocked, over_hidden_per_query, quality, quality_uncapped, quality_n, share_ge_0_9,
and optionally quality_k / share_k / ratio_of_means / samples: the k-sample figures of
``quality.py``, and paired_delta / paired_delta_k / paired_n: quality minus the default's on
their common queries)
and write one file each; a ``stale`` row (planned by older detection code) is marked so.
Settings (``point`` false) are drawn as a curve in order of leakage, the points (raw,
Presidio-only, PUPA's reference redaction) as markers, the default setting as a star. A
setting without a quality figure is drawn at the bottom edge, labelled "n/a".
"""

from __future__ import annotations

from pathlib import Path


def _fmt(x: float | None, spec: str) -> str:
    return "n/a" if x is None else format(x, spec)


def _paired(r: dict) -> str:
    if r.get("paired_delta") is None:
        return "n/a"
    k = r.get("paired_delta_k")
    k_text = "" if k is None else f" / {k:+.3f} ({r.get('paired_n_k')} queries)"
    return f"{r['paired_delta']:+.3f} ({r['paired_n']} queries){k_text}"


def _quality_n(r: dict) -> str:
    n_k = r.get("quality_n_k")
    k_text = "" if n_k is None else f" / {n_k} ({r.get('samples')}-sample)"
    return f"{r['quality_n']} queries{k_text}"


def write_table(results: list[dict], path: Path, *, note: str = "") -> str:
    k = next((r["samples"] for r in results if r.get("samples")), "k")
    lines = [
        "| setting | what it does | leaked units (whole word) | leakage | blocked | words hidden "
        "that PUPA does not label / query | mean quality ratio (each capped at 1) "
        "| same, uncapped | queries with ratio >= 0.9 "
        f"| {k}-sample denominator: mean ratio (capped) | {k}-sample: queries >= 0.9 "
        f"| ratio of means ({k}-sample) | quality on "
        "| quality minus the default's, on the queries both have (1-sample / "
        f"{k}-sample) |",
        "|" + "---|" * 14,
    ]
    for r in sorted(results, key=lambda r: (r["point"], r["leakage"])):
        name = f"**{r['name']}** (default)" if r["default"] else r["name"]
        name += " (stale)" if r.get("stale") else ""
        lines.append(
            f"| {name} | {r['description']} | {r['leaked']}/{r['units']} "
            f"| {r['leakage']:.1%} | {r['blocked']} | {r['over_hidden_per_query']:.1f} "
            f"| {_fmt(r['quality'], '.3f')} | {_fmt(r.get('quality_uncapped'), '.3f')} "
            f"| {_fmt(r['share_ge_0_9'], '.1%')} "
            f"| {_fmt(r.get('quality_k'), '.3f')} | {_fmt(r.get('share_k'), '.1%')} "
            f"| {_fmt(r.get('ratio_of_means'), '.3f')} "
            f"| {_quality_n(r)} | {_paired(r)} |"
        )
    text = "\n".join(lines) + "\n"
    if any(r.get("stale") for r in results):
        text += (
            "\n(stale): planned by an earlier version of the detection code (edge/privacy, "
            "edge/pipeline) than the current one; `--replan-stale` redoes those plans.\n"
        )
    text += (
        "\nQuality columns: the first three divide cos(answer, A) by cos(B, A) for one raw "
        f"sample B (the first definition, kept); the {k}-sample ones divide by the mean over "
        f"{k} raw samples; the ratio of means divides the sums over the queries. The point "
        "raw-resample answers with one more raw sample, a sampled null point; its seed draws "
        "the same numbers for every query, so it is optimistic, and the settings' answers are "
        "greedy: bench/frontier/seed_check.py gives the seed-averaged and the greedy null "
        "points (bench/frontier/quality.py).\n"
    )
    if note:
        text = note + "\n\n" + text
    Path(path).write_text(text, "utf-8")
    return text


def write_png(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 5), dpi=110)
    known = [r["quality"] for r in results if r["quality"] is not None]
    floor = min([*known, 0.8]) - 0.05

    def y(r: dict) -> float:
        return r["quality"] if r["quality"] is not None else floor

    curve = sorted((r for r in results if not r["point"]), key=lambda r: r["leakage"])
    if curve:
        ax.plot(
            [100 * r["leakage"] for r in curve],
            [y(r) for r in curve],
            "-o",
            color="tab:blue",
            label="privsplit settings",
        )
        for k, r in enumerate(curve):
            label = r["name"] + ("" if r["quality"] is not None else " (quality n/a)")
            ax.annotate(
                label,
                (100 * r["leakage"], y(r)),
                textcoords="offset points",
                xytext=(5, 6 if k % 2 else -12),  # neighbours alternate above and below
                fontsize=7,
            )
    with_k = [r for r in curve if r.get("quality_k") is not None]
    if with_k:  # the same settings, the denominator averaged over k raw samples
        k = with_k[0].get("samples", "k")
        ax.plot(
            [100 * r["leakage"] for r in with_k],
            [r["quality_k"] for r in with_k],
            "--.",
            color="tab:cyan",
            label=f"same, {k}-sample denominator",
        )
    markers = {
        "raw": ("s", "tab:red"),
        "presidio": ("^", "tab:orange"),
        "raw-resample": ("X", "tab:purple"),
        "pupa-labels": ("P", "tab:brown"),
    }
    for r in results:
        if not r["point"]:
            continue
        marker, color = markers.get(r["name"], ("D", "tab:green"))
        ax.scatter([100 * r["leakage"]], [y(r)], marker=marker, color=color, s=60, zorder=3)
        label = r["name"] + ("" if r["quality"] is not None else " (quality n/a)")
        below = r["name"] != "raw-resample"  # it shares raw's leakage: label it above
        ax.annotate(
            label,
            (100 * r["leakage"], y(r)),
            textcoords="offset points",
            xytext=(6, -10 if below else 6),
        )
    for r in results:
        if r["default"]:
            ax.scatter(
                [100 * r["leakage"]],
                [y(r)],
                marker="*",
                s=320,
                color="gold",
                edgecolor="black",
                zorder=4,
                label=f"default ({r['name']})",
            )
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_xlabel("leakage: labeled PII units sent, % (whole word; log scale above 1%)")
    ax.set_ylabel("mean quality ratio (cos to raw answer / raw resample)")
    ax.axvline(1.0, color="grey", lw=0.8, ls="--")
    ax.axhline(0.9, color="grey", lw=0.8, ls="--")
    ax.set_title("privsplit on PUPA: privacy-utility frontier")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
