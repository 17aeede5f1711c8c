#' Paired tests of a difference a - b
#'
#' `paired_ttest()` runs `stats::t.test(a, b, paired = TRUE)` and returns the
#' fields of Python's `vaelab.paired_ttest()`, whose numbers it matches (to
#' 1e-10, whichever engine Python uses). `wilcoxon_test()` runs
#' `stats::wilcox.test(a, b, paired = TRUE)`; its statistic is R's V, the sum of
#' the ranks of the positive differences (SciPy reports the smaller of the two
#' rank sums, and its p-value may differ slightly). `cohens_dz()` is the effect
#' size `mean(a - b) / sd(a - b)`.
#'
#' Degenerate inputs are errors of class `vaelab_input_error`, with the same
#' message as in Python: differences that are all equal (identical inputs
#' among them) leave the t statistic and Cohen's d_z undefined, and
#' differences that are all 0 leave the Wilcoxon test undefined.
#'
#' @param a,b Paired numeric vectors of the same length (at least 2).
#' @param conf_level Confidence level of the interval of the mean difference.
#' @return `paired_ttest()`: a list with `statistic`, `pvalue`, `df`,
#'   `mean_difference`, `conf_int`, `conf_level` and `engine` (`"R"`).
#'   `wilcoxon_test()`: a list with `statistic` and `pvalue`. `cohens_dz()`: a
#'   number.
#' @export
#' @examples
#' before <- c(5.1, 4.8, 6.0, 5.5, 5.9)
#' after <- c(4.9, 4.1, 5.2, 5.6, 5.0)
#' paired_ttest(before, after)$pvalue
#' wilcoxon_test(before, after)
#' cohens_dz(before, after)
paired_ttest <- function(a, b, conf_level = 0.95) {
  pair <- as_pair(a, b)
  varying_differences(pair, sys.call())
  conf_level <- as_conf_level(conf_level)
  res <- stats::t.test(pair$a, pair$b, paired = TRUE, conf.level = conf_level)
  list(statistic = unname(res$statistic), pvalue = res$p.value, df = unname(res$parameter),
       mean_difference = unname(res$estimate), conf_int = as.double(res$conf.int),
       conf_level = conf_level, engine = "R")
}

#' @rdname paired_ttest
#' @export
wilcoxon_test <- function(a, b) {
  pair <- as_pair(a, b)
  if (!any(pair$a != pair$b)) {
    input_error(paste0("a - b: all paired differences are 0, so the Wilcoxon signed-rank ",
                       "test is undefined"), sys.call())
  }
  res <- stats::wilcox.test(pair$a, pair$b, paired = TRUE)
  list(statistic = unname(res$statistic), pvalue = res$p.value)
}

#' @rdname paired_ttest
#' @export
cohens_dz <- function(a, b) {
  d <- varying_differences(as_pair(a, b), sys.call())
  mean(d) / stats::sd(d)
}

# a - b, refused when the differences are all equal (Python's stats.varying_differences,
# with R's t.test criterion for "essentially constant").
varying_differences <- function(pair, call) {
  d <- pair$a - pair$b
  if (stats::sd(d) <= 10 * .Machine$double.eps * abs(mean(d))) {
    input_error(sprintf(paste0(
      "a - b: the paired differences are all equal (%g): their standard deviation is 0, ",
      "so the t statistic and Cohen's d_z are undefined"), d[1]), call)
  }
  d
}

#' Compare the sharpness of originals and reconstructions
#'
#' Computes the Laplacian variance ([laplacian_variance()]) of the original
#' images and of each set of reconstructions, then, for every group of
#' classes and every pair among `"original"` and the reconstructions, the
#' paired t-test, the Wilcoxon signed-rank test and Cohen's d_z of `a - b`,
#' with R's own `stats::t.test()` and `stats::wilcox.test()`. Testing every
#' pair includes DFC VAE against plain VAE, the comparison the article
#' concluded on but never tested.
#'
#' @param x The original images, an array `n x 28 x 28 x 1`.
#' @param labels Their digit labels 0 to 9.
#' @param reconstructions A named list of reconstructions of `x`, e.g.
#'   `list("plain VAE" = r1, "DFC VAE" = r2)`.
#' @param groups A named list of logical vectors selecting images; by default
#'   the article's groups, `"digits other than 1"` and `"digit 1"` (ones are
#'   naturally less sharp).
#' @param conf_level Confidence level of the t-test intervals.
#' @return A data.frame with one row per group and pair: `group`, `a`, `b`,
#'   `n`, `mean_a`, `mean_b`, `mean_difference`, `t_statistic`, `df`,
#'   `t_pvalue`, `ci_low`, `ci_high`, `wilcoxon_statistic`, `wilcoxon_pvalue`,
#'   `cohens_dz` (the columns of Python's `vaelab.blur_comparison()`).
#' @export
#' @examplesIf vaelab_available()
#' x <- array(runif(40 * 28 * 28), c(40, 28, 28, 1))
#' smooth <- (x + x[, c(2:28, 28), , , drop = FALSE]) / 2
#' blur_comparison(x, rep(0:1, 20), list(smoothed = smooth))
blur_comparison <- function(x, labels, reconstructions, groups = NULL, conf_level = 0.95) {
  call <- sys.call()
  x <- as_images(x)
  n <- dim(x)[1]
  labels <- as_labels(labels, n = n)
  if (!is.list(reconstructions) || length(reconstructions) == 0 ||
      is.null(names(reconstructions)) || !all(nzchar(names(reconstructions)))) {
    input_error(paste0("reconstructions: expected a named list of reconstructed images, ",
                       "e.g. list(\"plain VAE\" = r1, \"DFC VAE\" = r2)"), sys.call())
  }
  blur <- list(original = laplacian_variance(x))
  for (name in names(reconstructions)) {
    blur[[name]] <- laplacian_variance(reconstructions[[name]])
    if (length(blur[[name]]) != n) {
      input_error(sprintf("reconstructions[[\"%s\"]]: expected %d images like x, got %d",
                          name, n, length(blur[[name]])), sys.call())
    }
  }
  groups <- as_groups(groups, labels, sys.call())
  rows <- list()
  for (group in names(groups)) {
    mask <- groups[[group]]
    for (pair in utils::combn(names(blur), 2, simplify = FALSE)) {
      row <- tryCatch(
        compare_pair(blur[[pair[1]]][mask], blur[[pair[2]]][mask], conf_level),
        vaelab_input_error = function(e) {
          input_error(sprintf("groups[[\"%s\"]], %s vs %s: %s", group, pair[1], pair[2],
                              conditionMessage(e)), call)
        })
      rows[[length(rows) + 1]] <- data.frame(group = group, a = pair[1], b = pair[2],
                                             n = sum(mask), row)
    }
  }
  do.call(rbind, rows)
}

# One row of blur_comparison(): every test of va - vb.
compare_pair <- function(va, vb, conf_level) {
  t <- paired_ttest(va, vb, conf_level = conf_level)
  w <- wilcoxon_test(va, vb)
  data.frame(
    mean_a = mean(va), mean_b = mean(vb), mean_difference = t$mean_difference,
    t_statistic = t$statistic, df = t$df, t_pvalue = t$pvalue,
    ci_low = t$conf_int[1], ci_high = t$conf_int[2],
    wilcoxon_statistic = w$statistic, wilcoxon_pvalue = w$pvalue,
    cohens_dz = cohens_dz(va, vb)
  )
}
