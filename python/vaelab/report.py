"""A Markdown report with its figures and metrics.json: what :func:`vaelab.evaluation.evaluate`
measured on the test set, written down."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from .attributes import apply_attribute
from .cvae import style_transfer
from .evaluation import evaluate, evaluate_faces
from .files import write_text
from .inference import interpolate, is_conditional, latent_grid, reconstruct
from .output import progress
from .plots import (
    plot_edit_rows,
    plot_images,
    plot_interpolations,
    plot_laplacian_boxplot,
    plot_laplacian_histograms,
    plot_manifold,
    save_figure,
)

# The article's hand-picked test digits 0..9.
ARTICLE_DIGITS = (5531, 2553, 1432, 4526, 9960, 6860, 6987, 3720, 5003, 9472)
ARTICLE_INTERPOLATIONS = ((1, 5), (1, 3), (3, 7))
# The article's claim, checked by default: the DFC VAE is sharper than the plain VAE.
DFC_CLAIM = (("DFC VAE", "plain VAE"),)


def showcase_indices(labels) -> list:
    """The article's ten test digits when `labels` is the full test set, else the first of
    each digit."""
    y = np.asarray(labels)
    if y.size == 10000 and [int(y[i]) for i in ARTICLE_DIGITS] == list(range(10)):
        return list(ARTICLE_DIGITS)
    return [int(np.flatnonzero(y == d)[0]) for d in range(10) if np.any(y == d)]


def write_report(out, models: dict, classifier, images, labels, manifold_model=None,
                 title: str = "vaelab report", notes: str = "", claims=DFC_CLAIM,
                 generated_per_class: int = 100, generation=None,
                 transferred_sevens: int = 50, faces: dict | None = None,
                 faces_notes: str = "") -> Path:
    """Evaluate `models` and write ``report.md``, ``metrics.json`` and figures under `out`.

    `claims` lists the ``(sharper, baseline)`` pairs of model names whose claim the
    findings check (see :func:`findings`); conditional models also get a table of their
    generated digits' classifier accuracy (`generated_per_class` per digit) and of their
    style transfers (the first `transferred_sevens` 7s as every digit). `generation`,
    scores from :func:`vaelab.distances.generation_scores`, adds a table of FID and KID.
    `faces`, the arguments of :func:`vaelab.evaluate_faces` (``models``, ``evaluator``,
    ``images``, ``attributes`` and ``vectors``), adds a section on face models, after
    `faces_notes`, with its figures, and its numbers under ``"faces"`` in metrics.json.
    Every file is written atomically. Returns the report's path.

    Example:
        >>> models = {"plain VAE": vae, "DFC VAE": dfc}  # doctest: +SKIP
        >>> write_report("out", models, clf, x_test, y_test)  # doctest: +SKIP
    """
    out = Path(out)
    evaluation = evaluate(models, classifier, images, labels, generated_per_class,
                          transferred_sevens)
    results = {**evaluation.metrics(), "generation": generation or {}}
    x, recs = np.asarray(images), evaluation.reconstructions
    picks = showcase_indices(labels)
    progress.info("drawing the figures")
    figures = {"reconstructions.png": plot_images(
        {"original": x[picks], **{n: r[picks] for n, r in recs.items()}})}
    for name, model in models.items():
        if is_conditional(model):  # its showcase: the ten digits redrawn as every digit
            digits = np.asarray(labels)[picks]
            figures[f"style_transfer_{_slug(name)}.png"] = plot_edit_rows(
                style_transfer(model, x[picks], digits, range(10)),
                column_titles=range(10), row_names=[f"a {d}" for d in digits])
            continue
        rows = {f"{a} -> {b}": interpolate(model, x[picks[a]], x[picks[b]], steps=10)
                for a, b in ARTICLE_INTERPOLATIONS if max(a, b) < len(picks)}
        figures[f"interpolation_{_slug(name)}.png"] = plot_interpolations(rows)
    figures["laplacian_boxplot.png"] = plot_laplacian_boxplot(x, labels)
    figures["laplacian_histograms.png"] = plot_laplacian_histograms(evaluation.blur, labels)
    if manifold_model is not None:
        figures["manifold.png"] = plot_manifold(latent_grid(manifold_model, n=15))
    face_figures, section = {}, ""
    if faces is not None:
        measured = evaluate_faces(**faces)
        results["faces"] = {**measured, "tests": measured["tests"].to_dict(orient="records")}
        face_figures = _face_figures(faces, measured.get("strengths"))
        section = _faces_markdown(results["faces"], list(face_figures), faces_notes)
    for file, fig in {**figures, **face_figures}.items():
        save_figure(fig, out / file)
        plt.close(fig)
    write_text(out / "metrics.json", json.dumps(_json_safe(results), indent=2) + "\n")
    report = _markdown(results, list(figures), title, notes, claims) + section
    return write_text(out / "report.md", report)


def _markdown(results, figures, title, notes, claims=DFC_CLAIM):
    lines = [f"# {title}", ""]
    if notes:
        lines += [notes, ""]
    lines += [f"Evaluated on {results['n_images']} test images.", "",
              "## Sharpness: mean variance of the Laplacian", ""]
    groups = results["mean_laplacian_variance"]
    names = list(next(iter(groups.values())))
    lines += ["| group | " + " | ".join(names) + " |",
              "| --- |" + " --- |" * len(names)]
    for group, means in groups.items():
        lines.append(f"| {group} | " + " | ".join(f"{means[n]:.4f}" for n in names) + " |")
    lines += ["", "## Paired tests (a - b)", ""] + _tests_table(results["tests"])
    lines += ["", "## Recognisability and reconstruction error", "",
              "| images | classifier accuracy | BCE per pixel | MSE per pixel |",
              "| --- | --- | --- | --- |"]
    for name, acc in results["classifier_accuracy"].items():
        err = results["reconstruction_error"].get(name)
        cells = ("-", "-") if err is None else (f"{err['bce']:.4f}", f"{err['mse']:.4f}")
        lines.append(f"| {name} | {acc:.4f} | {cells[0]} | {cells[1]} |")
    lines += _per_digit_table("Conditional generation: is a generated 3 a 3?",
                              results["generation_accuracy"], "per_class")
    lines += _per_digit_table("Style transfer: test 7s redrawn as every digit, recognised as "
                              "that digit", results["style_transfer"], "per_target")
    lines += _generation_table(results["generation"])
    lines += ["", "## Findings", ""]
    for sharper, baseline in claims:
        lines += findings(results, sharper, baseline)
    lines += ["", "## Figures", ""]
    lines += [f"![{f[:-4]}]({f})" for f in figures]
    return "\n".join(lines) + "\n"


def _tests_table(tests) -> list:
    """A table of paired tests, one row each (the records of :func:`vaelab.blur_comparison`)."""
    lines = ["| group | a | b | mean diff | t | df | p (t) | 95% CI | p (Wilcoxon) | d_z |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for t in tests:
        lines.append(
            f"| {t['group']} | {t['a']} | {t['b']} | {t['mean_difference']:.4f} | "
            f"{t['t_statistic']:.2f} | {t['df']:.0f} | {format_p(t['t_pvalue'])} | "
            f"[{t['ci_low']:.4f}, {t['ci_high']:.4f}] | {format_p(t['wilcoxon_pvalue'])} | "
            f"{t['cohens_dz']:.2f} |")
    return lines


def _face_figures(faces, strengths) -> dict:
    """The faces section's figures: reconstructions of the first eight faces, and for each
    model with vectors, each attribute added to the first face without it, by `strengths`."""
    x, table = np.asarray(faces["images"]), faces["attributes"]
    models, vectors = faces["models"], faces.get("vectors") or {}
    figures = {"faces_reconstructions.png": plot_images(
        {"original": x[:8], **{name: reconstruct(m, x[:8]) for name, m in models.items()}})}
    for name, by_attribute in vectors.items():
        rows = [apply_attribute(models[name], x[np.flatnonzero(table[a].to_numpy() < 0)[:1]],
                                v, strengths)[0] for a, v in by_attribute.items()]
        figures[f"faces_attributes_{_slug(name)}.png"] = plot_edit_rows(
            np.stack(rows), column_titles=strengths, row_names=[f"+ {a}" for a in by_attribute])
    return figures


def _faces_markdown(results, figures, notes="") -> str:
    """The faces section: sharpness, paired tests, attribute accuracy and attribute edits."""
    lines = ["", "## Faces: plain VAE and DFC VAE on synthetic faces", ""]
    if notes:
        lines += [notes, ""]
    accuracy, error = results["attribute_accuracy"], results["reconstruction_error"]
    lines += [f"Evaluated on {results['n_images']} test faces; the attributes are read by an "
              "evaluator trained apart from the DFC VAE's perceptual model.", "",
              "| images | mean Laplacian variance | attribute accuracy (mean) | MSE per pixel |",
              "| --- | --- | --- | --- |"]
    for name, blur in results["mean_laplacian_variance"].items():
        mse = f"{error[name]['mse']:.4f}" if name in error else "-"
        lines.append(f"| {name} | {blur:.5f} | {accuracy[name]['mean']:.4f} | {mse} |")
    lines += ["", "### Paired tests of sharpness (a - b)", ""] + _tests_table(results["tests"])
    names = [a for a in next(iter(accuracy.values())) if a != "mean"]
    lines += ["", "### Attribute accuracy of the reconstructions", "",
              "| images | " + " | ".join(names) + " | mean |",
              "| --- |" + " --- |" * (len(names) + 1)]
    for name, acc in accuracy.items():
        lines.append(f"| {name} | " + " | ".join(f"{acc[a]:.3f}" for a in names)
                     + f" | {acc['mean']:.3f} |")
    effects = results.get("attribute_effect", {})
    strengths = results.get("strengths", [])
    for name, by_attribute in effects.items():
        lines += ["", f"### Attribute vectors of the {name}", "",
                  "The evaluator's mean P(attribute) on the test faces without the attribute, "
                  "per multiple of its vector added (0: the reconstruction).", "",
                  "| attribute | " + " | ".join(f"{s:g}" for s in strengths) + " |",
                  "| --- |" + " --- |" * len(strengths)]
        lines += [f"| {a} | " + " | ".join(f"{p:.3f}" for p in ps) + " |"
                  for a, ps in by_attribute.items()]
    summary = {"classifier_accuracy": {n: a["mean"] for n, a in accuracy.items()},
               "tests": results["tests"]}
    lines += ["", "### Findings", ""]
    for sharper, baseline in DFC_CLAIM:
        lines += findings(summary, sharper, baseline, measure="Attribute accuracy")
    for name, by_attribute in effects.items():
        added = [a for a, ps in by_attribute.items() if np.all(np.diff(ps) > 0) and ps[-1] > 0.5]
        lines.append(f"- {name}: its vectors add {len(added)} of {len(by_attribute)} attributes "
                     "(P(attribute) rises at every multiple and ends above 0.5)"
                     + (f": {', '.join(added)}." if added else "."))
    lines += ["", "### Figures", ""] + [f"![{f[:-4]}]({f})" for f in figures]
    return "\n".join(lines) + "\n"


def _per_digit_table(title, accuracies, per_digit) -> list:
    """A section of classifier accuracies per model, overall and per digit 0..9 (the
    `per_digit` key), or nothing when no model was measured."""
    if not accuracies:
        return []
    lines = ["", f"## {title}", "",
             "| model | overall | " + " | ".join(map(str, range(10))) + " |",
             "| --- | --- |" + " --- |" * 10]
    for name, acc in accuracies.items():
        lines.append(f"| {name} | {acc['overall']:.3f} | "
                     + " | ".join(f"{a:.2f}" for a in acc[per_digit]) + " |")
    return lines


def _generation_table(scores) -> list:
    if not scores:
        return []
    lines = ["", "## Generation: prior samples against the test images", "",
             "FID and KID on the shipped classifier's penultimate features (lower is closer "
             "to the data; KID is the mean over subsets, with its spread).", "",
             "| samples | n | FID | KID |", "| --- | --- | --- | --- |"]
    for name, s in scores.items():
        lines.append(f"| {name} | {s['n']} | {s['fid']:.2f} | {s['kid']:.2f} "
                     f"± {s['kid_std']:.2f} |")
    ranked = sorted(scores, key=lambda name: scores[name]["fid"])
    agree = ranked == sorted(scores, key=lambda name: scores[name]["kid"])
    lines += ["", "By FID, from closest to farthest: " + ", ".join(ranked) + "; KID "
              + ("ranks them the same." if agree else "ranks them differently.")]
    return lines


def findings(results, sharper="DFC VAE", baseline="plain VAE", alpha=1e-10,
             measure="Classifier accuracy") -> list:
    """Sentences, computed from `results`, on whether `sharper` beats `baseline` as claimed.

    The article concludes that the DFC VAE's reconstructions are significantly less blurry
    than the plain VAE's and no less recognisable; each claim is checked here, per group.
    `measure` names what ``results["classifier_accuracy"]`` holds.
    """
    acc = results["classifier_accuracy"]
    if sharper not in acc or baseline not in acc:
        return [f"(no {sharper} / {baseline} pair to compare)"]
    lines = []
    for t in results["tests"]:
        if {t["a"], t["b"]} != {sharper, baseline}:
            continue
        diff = t["mean_difference"] if t["a"] == sharper else -t["mean_difference"]
        verdict = "significantly sharper" if diff > 0 and t["t_pvalue"] < alpha else \
            "NOT significantly sharper"
        lines.append(f"- {t['group']}: {sharper} is {verdict} than {baseline} "
                     f"(mean difference {diff:.4f}, t = {abs(t['t_statistic']):.1f}, "
                     f"p {format_p(t['t_pvalue'], relation=True)}, threshold {alpha:g}).")
    relation = ">=" if acc[sharper] >= acc[baseline] else "<"
    lines.append(f"- {measure} on {sharper} reconstructions {acc[sharper]:.4f} "
                 f"{relation} {acc[baseline]:.4f} on {baseline} reconstructions.")
    return lines


def format_p(p: float, relation: bool = False) -> str:
    """A p-value for a table; one that underflowed to 0 is shown as below the smallest double."""
    if p == 0.0:
        return "< 1e-300"
    return f"= {p:.3g}" if relation else f"{p:.3g}"


def _json_safe(value):
    """`value` with NaN and infinities as null: JSON has no such numbers (e.g. the Wilcoxon
    p-value of two identical reconstructions)."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _slug(name: str) -> str:
    """"VAE-GAN (conditional)" -> "vae_gan_conditional": a file name part."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
