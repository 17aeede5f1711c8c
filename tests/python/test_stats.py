"""vaelab.stats: paired t-tests against SciPy and R, and the blur comparison table."""

import numpy as np
import pytest
from scipy import stats as sps

import vaelab
from helpers import synthetic_images
from vaelab.stats import default_groups

# R's `sleep` data: extra hours of sleep with drug 1 (a) and drug 2 (b) for the same 10 people.
SLEEP_A = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_B = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]
# R 4.2.2: t.test(b, a, paired = TRUE), printed with sprintf("%.15g").
R_SLEEP = {"statistic": 4.06212768338204, "pvalue": 0.00283289019738427, "df": 9.0,
           "mean_difference": 1.58, "conf_int": (0.700114236723018, 2.45988576327698),
           "conf_int_90": (0.866994732970716, 2.29300526702928)}


@pytest.fixture(scope="module")
def pairs():
    rng = np.random.default_rng(11)
    a = rng.gamma(2.0, 0.05, size=300)
    return a, a * 0.4 + rng.normal(0, 0.01, size=300)


def test_paired_ttest_matches_scipy(pairs):
    a, b = pairs
    for level in (0.95, 0.99):
        res = vaelab.paired_ttest(a, b, conf_level=level)
        ref = sps.ttest_rel(a, b)
        ci = ref.confidence_interval(confidence_level=level)
        assert res.statistic == pytest.approx(ref.statistic, rel=1e-10)
        assert res.pvalue == pytest.approx(ref.pvalue, rel=1e-10, abs=1e-300)
        assert res.df == ref.df == 299
        assert res.conf_int == pytest.approx((ci.low, ci.high), rel=1e-10)
        assert res.mean_difference == pytest.approx(np.mean(a - b), rel=1e-12)
        assert (res.conf_level, res.engine) == (level, "scipy")


def test_paired_ttest_matches_the_textbook_formula(pairs):
    a, b = pairs
    d = a - b
    se = d.std(ddof=1) / np.sqrt(d.size)
    res = vaelab.paired_ttest(a, b)
    assert res.statistic == pytest.approx(d.mean() / se, rel=1e-10)
    half = sps.t.ppf(0.975, d.size - 1) * se
    assert res.conf_int == pytest.approx((d.mean() - half, d.mean() + half), rel=1e-10)


def test_paired_ttest_matches_published_r_values():
    res = vaelab.paired_ttest(SLEEP_B, SLEEP_A)
    assert res.statistic == pytest.approx(R_SLEEP["statistic"], rel=1e-12)
    assert res.pvalue == pytest.approx(R_SLEEP["pvalue"], rel=1e-12)
    assert res.df == R_SLEEP["df"]
    assert res.mean_difference == pytest.approx(R_SLEEP["mean_difference"], rel=1e-12)
    assert res.conf_int == pytest.approx(R_SLEEP["conf_int"], rel=1e-12)
    ci90 = vaelab.paired_ttest(SLEEP_B, SLEEP_A, conf_level=0.9).conf_int
    assert ci90 == pytest.approx(R_SLEEP["conf_int_90"], rel=1e-12)


@pytest.mark.r
def test_r_engine_matches_scipy(pairs):
    pytest.importorskip("rpy2.robjects", reason="engine='R' needs rpy2 and R")
    a, b = pairs
    for x, y, level in ((a, b, 0.95), (np.array(SLEEP_B), np.array(SLEEP_A), 0.9)):
        r = vaelab.paired_ttest(x, y, conf_level=level, engine="R")
        s = vaelab.paired_ttest(x, y, conf_level=level)
        assert r.engine == "R"
        for field in ("statistic", "pvalue", "df", "mean_difference"):
            assert getattr(r, field) == pytest.approx(getattr(s, field), rel=1e-10, abs=1e-300)
        assert r.conf_int == pytest.approx(s.conf_int, rel=1e-10)


@pytest.mark.parametrize("kwargs, error", [
    ({"a": [1.0, 2.0, 3.0], "b": [1.0, 2.0]}, r"b: expected 3 values, got 2"),
    ({"a": [1.0], "b": [2.0]}, r"a, b: expected at least 2 paired values"),
    ({"a": [1.0, np.nan], "b": [2.0, 3.0]}, r"a: contains NaN or infinite values"),
    ({"a": [[1.0, 2.0]], "b": [2.0, 3.0]}, r"a: expected a 1-d array, got shape \(1, 2\)"),
    ({"conf_level": 95}, r"conf_level: expected a number strictly between 0 and 1, got 95"),
    ({"engine": "stata"}, r"engine: expected one of \('scipy', 'R'\), got 'stata'"),
])
def test_paired_ttest_errors(kwargs, error):
    args = {"a": [1.0, 2.0, 4.0], "b": [0.5, 1.0, 1.5], **kwargs}
    with pytest.raises(ValueError, match=error):
        vaelab.paired_ttest(**args)


def test_wilcoxon_and_cohens_dz(pairs):
    a, b = pairs
    ref = sps.wilcoxon(a, b)
    res = vaelab.wilcoxon_test(a, b)
    assert isinstance(res, vaelab.WilcoxonResult)
    assert (res.statistic, res.pvalue) == pytest.approx((ref.statistic, ref.pvalue), rel=1e-10,
                                                        abs=1e-300)
    d = a - b
    assert vaelab.cohens_dz(a, b) == pytest.approx(d.mean() / d.std(ddof=1), rel=1e-12)
    # d_z = t / sqrt(n) for a paired design.
    assert vaelab.cohens_dz(a, b) == pytest.approx(
        vaelab.paired_ttest(a, b).statistic / np.sqrt(d.size), rel=1e-10)


def test_default_groups():
    groups = default_groups([1, 0, 1, 7])
    assert list(groups) == ["digits other than 1", "digit 1"]
    np.testing.assert_array_equal(groups["digit 1"], [True, False, True, False])
    np.testing.assert_array_equal(groups["digits other than 1"], [False, True, False, True])


COLUMNS = ["group", "a", "b", "n", "mean_a", "mean_b", "mean_difference", "t_statistic", "df",
           "t_pvalue", "ci_low", "ci_high", "wilcoxon_statistic", "wilcoxon_pvalue", "cohens_dz"]


@pytest.fixture(scope="module")
def blur_inputs():
    import cv2

    x = synthetic_images(40, seed=12)
    y = (np.arange(40) % 10).astype(np.uint8)
    soft = np.stack([cv2.GaussianBlur(img, (3, 3), 0.8) for img in x[..., 0]])[..., None]
    softer = np.stack([cv2.GaussianBlur(img, (5, 5), 1.5) for img in x[..., 0]])[..., None]
    return x, y, {"plain VAE": softer, "DFC VAE": soft}


def test_blur_comparison_rows_and_columns(blur_inputs):
    x, y, recs = blur_inputs
    table = vaelab.blur_comparison(x, y, recs)
    assert list(table.columns) == COLUMNS
    assert len(table) == 6  # 2 groups x 3 pairs
    assert list(zip(table["group"], table["a"], table["b"])) == [
        (g, a, b) for g in ("digits other than 1", "digit 1")
        for a, b in (("original", "plain VAE"), ("original", "DFC VAE"),
                     ("plain VAE", "DFC VAE"))]
    assert table["n"].tolist() == [36] * 3 + [4] * 3


def test_blur_comparison_numbers(blur_inputs):
    x, y, recs = blur_inputs
    table = vaelab.blur_comparison(x, y, recs, conf_level=0.9)
    row = table[(table["group"] == "digit 1") & (table["a"] == "plain VAE")].iloc[0]
    mask = y == 1
    va = vaelab.laplacian_variance(recs["plain VAE"])[mask]
    vb = vaelab.laplacian_variance(recs["DFC VAE"])[mask]
    ref = sps.ttest_rel(va, vb)
    assert row["mean_a"] == pytest.approx(va.mean()) and row["mean_b"] == pytest.approx(vb.mean())
    assert row["t_statistic"] == pytest.approx(ref.statistic, rel=1e-10)
    ci = ref.confidence_interval(0.9)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-10)
    assert row["wilcoxon_pvalue"] == pytest.approx(sps.wilcoxon(va, vb).pvalue)
    # Blurring lowers the Laplacian variance: originals beat both, strong blur loses to mild.
    assert (np.sign(table["mean_difference"]) == [1, 1, -1] * 2).all()


def test_blur_comparison_custom_groups(blur_inputs):
    x, y, recs = blur_inputs
    table = vaelab.blur_comparison(x, y, {"DFC VAE": recs["DFC VAE"]},
                                   groups={"all": np.ones(40, bool)})
    assert table[["group", "a", "b", "n"]].values.tolist() == [["all", "original", "DFC VAE", 40]]


def test_blur_comparison_without_labels_compares_all_colour_images():
    faces, _ = vaelab.synthetic_faces(12, seed=4, size=32)
    softer = (faces + np.roll(faces, 1, axis=1) + np.roll(faces, 1, axis=2)) / 3
    table = vaelab.blur_comparison(faces, None, {"smoothed": softer})
    assert table[["group", "a", "b", "n"]].values.tolist() == [
        ["all images", "original", "smoothed", 12]]
    assert table["mean_a"].iloc[0] == pytest.approx(vaelab.laplacian_variance(faces).mean())
    assert table["mean_difference"].iloc[0] > 0


def test_blur_comparison_errors(blur_inputs):
    x, y, recs = blur_inputs
    with pytest.raises(ValueError, match=r"reconstructions: expected a dict \{name: "
                                         r"reconstructed images\}, with at least one entry"):
        vaelab.blur_comparison(x, y, {})
    with pytest.raises(ValueError, match=r"reconstructions\['plain VAE'\]: expected 40 images "
                                         r"\(one per original image\), got 39"):
        vaelab.blur_comparison(x, y, {"plain VAE": recs["plain VAE"][:39]})
    with pytest.raises(ValueError, match=r"labels: expected 40 labels \(one per image\), got 10"):
        vaelab.blur_comparison(x, y[:10], recs)
