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
#' Python checks the inputs in both engines, so degenerate ones are the
#' same errors (of class `vaelab_ValueError`) as in Python: differences that
#' are all equal (identical inputs among them) leave the t statistic and Cohen's d_z undefined, and
#' differences that are all 0 leave the Wilcoxon test undefined.
#'
#' @param a,b Paired numeric vectors of the same length (at least 2).
#' @param conf_level Confidence level of the interval of the mean difference.
#' @param engine `"R"` (`stats::t.test()`, the default in R) or `"scipy"`
#'   (Python's `scipy.stats.ttest_rel()`): the engines of Python's
#'   `vaelab.stats.ENGINES`.
#' @return `paired_ttest()`: a list with `statistic`, `pvalue`, `df`,
#'   `mean_difference`, `conf_int`, `conf_level` and `engine`.
#'   `wilcoxon_test()`: a list with `statistic` and `pvalue`. `cohens_dz()`: a
#'   number.
#' @export
#' @examplesIf vaelab_available()
#' before <- c(5.1, 4.8, 6.0, 5.5, 5.9)
#' after <- c(4.9, 4.1, 5.2, 5.6, 5.0)
#' paired_ttest(before, after)$pvalue
#' paired_ttest(before, after, engine = "scipy")$pvalue
#' wilcoxon_test(before, after)
#' cohens_dz(before, after)
paired_ttest <- function(a, b, conf_level = 0.95, engine = "R") {
  if (!identical(engine, "R")) {
    res <- vaelab_call("paired_ttest", a = as_array(a, "a"), b = as_array(b, "b"),
                       conf_level = as_scalar(conf_level, "conf_level"), engine = engine)
    return(ttest_list(res))
  }
  pair <- varying_differences(a, b)
  conf_level <- vaelab_call("as_conf_level", level = as_scalar(conf_level, "conf_level"),
                            .module = "checks")
  res <- stats::t.test(pair$a, pair$b, paired = TRUE, conf.level = conf_level)
  list(statistic = unname(res$statistic), pvalue = res$p.value, df = unname(res$parameter),
       mean_difference = unname(res$estimate), conf_int = as.double(res$conf.int),
       conf_level = conf_level, engine = "R")
}

# Python's TTestResult as the list R's engine returns.
ttest_list <- function(res) {
  fields <- c("statistic", "pvalue", "df", "mean_difference", "conf_int", "conf_level", "engine")
  out <- stats::setNames(lapply(fields, function(field) res[[field]]), fields)
  out$conf_int <- as.double(unlist(out$conf_int))
  out
}

#' @rdname paired_ttest
#' @export
wilcoxon_test <- function(a, b) {
  # Python checks the pair and returns a - b; R's paired test is its test of a - b.
  d <- vaelab_call("nonzero_differences", a = as_array(a, "a"), b = as_array(b, "b"),
                   .module = "checks")
  res <- stats::wilcox.test(as.double(d))
  list(statistic = unname(res$statistic), pvalue = res$p.value)
}

#' @rdname paired_ttest
#' @export
cohens_dz <- function(a, b) {
  pair <- varying_differences(a, b)
  d <- pair$a - pair$b
  mean(d) / stats::sd(d)
}

# The pair as Python checks it (same length, at least 2, finite), back as R doubles.
checked_pair <- function(a, b, call = sys.call(-1)) {
  pair <- vaelab_call("as_pair", a = as_array(a, "a"), b = as_array(b, "b"),
                      .module = "checks", .call = call)
  list(a = as.double(pair[[1]]), b = as.double(pair[[2]]))
}

# The pair, refused by Python's rule when its differences are all equal (the t statistic
# and Cohen's d_z are then undefined).
varying_differences <- function(a, b, call = sys.call(-1)) {
  pair <- checked_pair(a, b, call)
  vaelab_call("varying_differences", a = pair$a, b = pair$b, .module = "stats", .call = call)
  pair
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
#' @param images The original images, an array `n x height x width x channels`
#'   (colour images are measured on their luminance).
#' @param labels Their digit labels 0 to 9, or `NULL` (faces, for instance):
#'   then `groups`, or one group of all images.
#' @param reconstructions A named list of reconstructions of `images`, e.g.
#'   `list("plain VAE" = r1, "DFC VAE" = r2)`.
#' @param groups A named list of logical vectors selecting images; by default
#'   the article's groups, `"digits other than 1"` and `"digit 1"` (ones are
#'   naturally less sharp), or `"all images"` without `labels`.
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
blur_comparison <- function(images, labels, reconstructions, groups = NULL,
                            conf_level = 0.95) {
  call <- sys.call()
  blur <- c(list(original = laplacian_variance(images)),
            lapply(as_named_list(reconstructions, as_images), laplacian_variance))
  blur <- vaelab_call("as_named_values", values = blur, name = "reconstructions",
                      n = length(blur$original), .module = "checks")
  n <- length(blur$original)
  if (!is.null(labels)) labels <- checked_labels(labels, n)
  if (is.null(groups) && is.null(labels)) {
    groups <- list(`all images` = rep(TRUE, n))
  } else if (is.null(groups)) {
    groups <- vaelab_call("default_groups", labels = labels, .module = "stats")
  }
  groups <- vaelab_call("as_groups", groups = as_named_list(groups, as_array), n = n,
                        .module = "checks")
  rows <- list()
  for (group in names(groups)) {
    mask <- groups[[group]]
    for (pair in utils::combn(names(blur), 2, simplify = FALSE)) {
      row <- tryCatch(
        compare_pair(blur[[pair[1]]][mask], blur[[pair[2]]][mask], conf_level),
        vaelab_error = function(e) {
          e$message <- sprintf("groups[[\"%s\"]], %s vs %s: %s", group, pair[1], pair[2],
                               conditionMessage(e))
          e$call <- call
          stop(e)
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
