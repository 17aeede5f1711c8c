"""Paired tests and the blur comparison between originals and reconstructions."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from .checks import as_conf_level, as_groups, as_labels, as_pair, nonzero_differences
from .metrics import laplacian_variance

ENGINES = ("scipy", "R")


@dataclass(frozen=True)
class TTestResult:
    """A paired t-test of ``a - b``."""

    statistic: float
    pvalue: float
    df: float
    mean_difference: float
    conf_int: tuple
    conf_level: float
    engine: str


@dataclass(frozen=True)
class WilcoxonResult:
    """A two-sided Wilcoxon signed-rank test of ``a - b``."""

    statistic: float
    pvalue: float


def paired_ttest(a, b, conf_level: float = 0.95, engine: str = "scipy") -> TTestResult:
    """Two-sided paired t-test of ``a - b``, with the confidence interval of the mean difference.

    ``engine="scipy"`` uses :func:`scipy.stats.ttest_rel`; ``engine="R"`` runs R's
    ``stats::t.test(a, b, paired = TRUE)`` through rpy2 (``pip install vaelab[r]``).

    Example:
        >>> paired_ttest([1.0, 2.0, 3.5], [0.5, 1.5, 2.0]).df
        2.0
    """
    a, b = as_pair(a, b)
    varying_differences(a, b)
    conf_level = as_conf_level(conf_level)
    if engine == "scipy":
        res = sps.ttest_rel(a, b)
        ci = res.confidence_interval(confidence_level=conf_level)
        return TTestResult(float(res.statistic), float(res.pvalue), float(res.df),
                           float(np.mean(a - b)), (float(ci.low), float(ci.high)),
                           conf_level, engine)
    if engine == "R":
        return _r_ttest(a, b, conf_level)
    raise ValueError(f"engine: expected one of {ENGINES}, got {engine!r}")


def wilcoxon_test(a, b) -> WilcoxonResult:
    """Two-sided Wilcoxon signed-rank test of ``a - b``, by :func:`scipy.stats.wilcoxon`.

    All differences 0 is an error: the test is undefined (R's p-value is NA, SciPy's 1).

    Example:
        >>> wilcoxon_test([1.0, 2.0, 3.5, 4.0], [0.5, 1.5, 2.0, 4.5]).statistic
        2.0
    """
    # SciPy's test of the pair is its test of the differences.
    res = sps.wilcoxon(nonzero_differences(a, b))
    return WilcoxonResult(float(res.statistic), float(res.pvalue))


def cohens_dz(a, b) -> float:
    """Effect size of a paired difference: mean(a - b) / sd(a - b)."""
    d = varying_differences(*as_pair(a, b))
    return float(d.mean() / d.std(ddof=1))


def varying_differences(a, b) -> np.ndarray:
    """``a - b``, refused with a ``ValueError`` when the differences are all equal.

    Their standard deviation is then 0 (within rounding: R's ``t.test`` criterion, "data
    are essentially constant"), and the t statistic and Cohen's d_z are undefined: SciPy
    would say inf or NaN, R stops. R's ``paired_ttest()`` gives the same error.
    """
    d = np.asarray(a) - np.asarray(b)
    if d.std(ddof=1) <= 10 * np.finfo(np.float64).eps * abs(d.mean()):
        raise ValueError(
            f"a - b: the paired differences are all equal ({d[0]:g}): their standard deviation "
            "is 0, so the t statistic and Cohen's d_z are undefined"
        )
    return d


def default_groups(labels) -> dict:
    """The article's two class groups: every digit but 1, and the digit 1 (naturally less sharp)."""
    y = as_labels(labels)
    return {"digits other than 1": y != 1, "digit 1": y == 1}


def blur_comparison(images, labels, reconstructions: dict, groups: dict | None = None,
                    conf_level: float = 0.95) -> pd.DataFrame:
    """Compare the sharpness of originals and reconstructions, pair by pair, per class group.

    `reconstructions` maps a name (e.g. ``"plain VAE"``) to reconstructions of `images`.
    For every group (default: :func:`default_groups` of the digit `labels`; with
    ``labels=None``, as for faces, one group of all images) and every pair among
    ``original`` and the reconstructions, one row gives the mean Laplacian variances, the paired
    t-test, the Wilcoxon signed-rank test and Cohen's d_z of ``a - b``.

    Example:
        >>> blur_comparison(x_test, y_test, {"plain VAE": r1, "DFC VAE": r2})  # doctest: +SKIP
    """
    if not isinstance(reconstructions, dict) or not reconstructions:
        raise ValueError("reconstructions: expected a dict {name: reconstructed images}, "
                         "with at least one entry")
    blur = {"original": laplacian_variance(images)}
    for name, rec in reconstructions.items():
        blur[name] = laplacian_variance(rec)
        if blur[name].shape != blur["original"].shape:
            raise ValueError(f"reconstructions[{name!r}]: expected {blur['original'].size} "
                             f"images (one per original image), got {blur[name].size}")
    n = blur["original"].size
    y = None if labels is None else as_labels(labels, n=n)
    if groups is None:
        groups = {"all images": np.ones(n, dtype=bool)} if y is None else default_groups(y)
    return paired_comparisons(blur, as_groups(groups, n), conf_level)


def paired_comparisons(blur: dict, masks: dict, conf_level: float = 0.95) -> pd.DataFrame:
    """:func:`blur_comparison`'s table from checked Laplacian variances `blur` ({name:
    values}) and boolean `masks` ({group: mask}): every pair of names, in every group."""
    rows = []
    for group, mask in masks.items():
        for a, b in itertools.combinations(blur, 2):
            try:
                rows.append({"group": group, "a": a, "b": b, "n": int(mask.sum()),
                             **_compare(blur[a][mask], blur[b][mask], conf_level)})
            except ValueError as err:
                raise ValueError(f"groups[{group!r}], {a} vs {b}: {err}") from err
    return pd.DataFrame(rows)


def _compare(va, vb, conf_level) -> dict:
    """One row of :func:`blur_comparison`: every test of ``va - vb``."""
    t = paired_ttest(va, vb, conf_level=conf_level)
    w = wilcoxon_test(va, vb)
    return {
        "mean_a": float(va.mean()), "mean_b": float(vb.mean()),
        "mean_difference": t.mean_difference,
        "t_statistic": t.statistic, "df": t.df, "t_pvalue": t.pvalue,
        "ci_low": t.conf_int[0], "ci_high": t.conf_int[1],
        "wilcoxon_statistic": w.statistic, "wilcoxon_pvalue": w.pvalue,
        "cohens_dz": cohens_dz(va, vb),
    }


def _r_ttest(a, b, conf_level):
    try:
        import rpy2.robjects as ro
        from rpy2.robjects.packages import importr
    except ImportError as err:
        raise ImportError(
            "engine='R' needs rpy2 and R: pip install 'vaelab[r]' (rpy2>=3.5,<3.6 for R < 4.5)"
        ) from err
    r_stats = importr("stats")
    # t.test is generic (x, ...): rpy2 cannot map conf_level onto conf.level, so name it in R.
    res = r_stats.t_test(ro.FloatVector(a), ro.FloatVector(b), paired=True,
                         **{"conf.level": conf_level})
    get = dict(zip(res.names, res))
    ci = tuple(float(v) for v in get["conf.int"])
    return TTestResult(float(get["statistic"][0]), float(get["p.value"][0]),
                       float(get["parameter"][0]), float(get["estimate"][0]), ci,
                       conf_level, "R")
