test_that("paired_ttest() gives R's t.test numbers, equal to SciPy's to 1e-10", {
  skip_if_no_vaelab()
  set.seed(7)
  a <- rnorm(200, mean = 0.15, sd = 0.05)
  b <- a - rnorm(200, mean = 0.02, sd = 0.03)
  res <- paired_ttest(a, b, conf_level = 0.9)
  ref <- t.test(a, b, paired = TRUE, conf.level = 0.9)
  expect_identical(res$statistic, unname(ref$statistic))
  expect_identical(res$conf_int, as.double(ref$conf.int))
  expect_identical(res$engine, "R")
  scipy <- py_vaelab()$paired_ttest(a, b, conf_level = 0.9, engine = "scipy")
  expect_equal(res$statistic, scipy$statistic, tolerance = 1e-10)
  expect_equal(res$pvalue, scipy$pvalue, tolerance = 1e-10)
  expect_equal(res$df, scipy$df, tolerance = 1e-10)
  expect_equal(res$mean_difference, scipy$mean_difference, tolerance = 1e-10)
  expect_equal(res$conf_int, unlist(scipy$conf_int), tolerance = 1e-10)
})

test_that("wilcoxon_test() reports R's V; SciPy's statistic is the smaller rank sum", {
  skip_if_no_vaelab()
  set.seed(8)
  a <- rnorm(80)
  b <- a + rnorm(80, mean = 0.2)
  res <- wilcoxon_test(a, b)
  expect_identical(res$statistic, unname(wilcox.test(a, b, paired = TRUE)$statistic))
  scipy <- py_vaelab()$wilcoxon_test(a, b)
  n <- length(a)
  expect_equal(min(res$statistic, n * (n + 1) / 2 - res$statistic), scipy$statistic)
  # R corrects for continuity, SciPy does not: the p-values differ a little.
  expect_equal(res$pvalue, scipy$pvalue, tolerance = 0.01)
})

test_that("cohens_dz() is the mean difference over its standard deviation", {
  skip_if_no_vaelab()
  expect_equal(cohens_dz(c(1, 2, 4), c(0, 0, 0)), mean(c(1, 2, 4)) / sd(c(1, 2, 4)))
})

test_that("Python checks the paired tests' inputs, R refuses NA", {
  skip_if_no_vaelab()
  expect_error(paired_ttest(1:3, 1:4), "b: expected 3 values", class = "vaelab_ValueError")
  expect_error(paired_ttest(1, 2), "at least 2 paired values", class = "vaelab_ValueError")
  expect_error(paired_ttest(c(1, NA), 1:2), "a: contains NA", class = "vaelab_input_error")
  expect_error(paired_ttest(1:3, 3:1, conf_level = 95), "conf_level",
               class = "vaelab_ValueError")
  expect_error(paired_ttest(c(1, 2, 3), c(0, 1, 2)), "all equal", class = "vaelab_ValueError")
  expect_error(wilcoxon_test(1:3, 1:3), "all paired differences are 0",
               class = "vaelab_ValueError")
  expect_error(wilcoxon_test("a", "b"), "a: expected numbers", class = "vaelab_ValueError")
})

test_that("blur_comparison() tests every pair per group, like Python's", {
  skip_if_no_vaelab()
  x <- random_images(60)
  smooth <- (x + x[, c(2:28, 28), , , drop = FALSE]) / 2
  smoother <- (smooth + smooth[, , c(2:28, 28), , drop = FALSE]) / 2
  labels <- rep(0:9, 6)
  table <- blur_comparison(x, labels, list("one pass" = smooth, "two passes" = smoother))
  expect_s3_class(table, "data.frame")
  expect_identical(nrow(table), 6L)
  expect_identical(table$a, rep(c("original", "original", "one pass"), 2))
  expect_identical(table$b, rep(c("one pass", "two passes", "two passes"), 2))
  expect_identical(table$n, rep(c(54L, 6L), each = 3))
  expect_true(all(table$mean_difference > 0))
  ref <- py_vaelab()$blur_comparison(x, labels, list("one pass" = smooth,
                                                     "two passes" = smoother))
  ref <- ref$to_dict(orient = "list")
  for (column in c("mean_a", "mean_b", "t_statistic", "df", "t_pvalue", "ci_low", "ci_high",
                   "cohens_dz")) {
    expect_equal(table[[column]], as.double(ref[[column]]), tolerance = 1e-10, label = column)
  }
  expect_identical(names(table), names(ref))
})

test_that("blur_comparison() without labels compares all images, as Python's", {
  skip_if_no_vaelab()
  x <- random_images(10)
  table <- blur_comparison(x, NULL, list(half = x / 2))
  expect_identical(table$group, "all images")
  expect_identical(table$n, 10L)
  ref <- py_vaelab()$blur_comparison(x, NULL, list(half = x / 2))$to_dict(orient = "list")
  expect_equal(table$t_statistic, as.double(ref$t_statistic), tolerance = 1e-10)
})

test_that("blur_comparison() accepts groups and rejects bad ones", {
  skip_if_no_vaelab()
  x <- random_images(10)
  labels <- rep(0:4, 2)
  halves <- list(first = 1:10 <= 5, second = 1:10 > 5)
  table <- blur_comparison(x, labels, list(half = x / 2), groups = halves)
  expect_identical(table$group, c("first", "second"))
  expect_error(blur_comparison(x, labels, list(half = x / 2), groups = list(a = TRUE)),
               "groups[[\"a\"]]: expected a boolean mask of length 10", fixed = TRUE)
  expect_error(blur_comparison(x, labels, list(half = x[1:5, , , , drop = FALSE])),
               "reconstructions[[\"half\"]]: expected 10 values", fixed = TRUE)
})
