# The Laplacian written out in R: 3 x 3 kernel, border reflected without repeating the edge.
laplacian_variance_r <- function(image) {
  p <- image[c(2, 1:28, 27), c(2, 1:28, 27)]
  lap <- p[1:28, 2:29] + p[3:30, 2:29] + p[2:29, 1:28] + p[2:29, 3:30] - 4 * image
  mean((lap - mean(lap))^2)
}

test_that("laplacian_variance() matches the Laplacian computed in R", {
  skip_if_no_vaelab()
  x <- random_images(3)
  x[2, , , ] <- 0.25
  values <- laplacian_variance(x)
  expect_type(values, "double")
  expect_length(values, 3)
  expect_identical(values[2], 0)
  expected <- vapply(1:3, function(i) laplacian_variance_r(x[i, , , 1]), numeric(1))
  expect_equal(values, expected, tolerance = 1e-5)
  expect_error(laplacian_variance(array(2, c(1, 28, 28, 1))), "\\[0, 1\\]")
})

test_that("classifier_accuracy() is the share of predict_digits() that match", {
  skip_if_no_vaelab()
  clf <- build_perceptual_model(seed = 1)
  x <- random_images(10)
  digits <- predict_digits(clf, x)
  expect_type(digits, "integer")
  expect_true(all(digits %in% 0:9))
  labels <- c(digits[1:7], (digits[8:10] + 1) %% 10)
  expect_equal(classifier_accuracy(clf, x, labels), 0.7)
  expect_error(classifier_accuracy(clf, x, 1:3), "expected 10 labels")
})

test_that("reconstruction_errors() is zero for a perfect copy", {
  skip_if_no_vaelab()
  x <- random_images(2)
  errors <- reconstruction_errors(x, x)
  expect_named(errors, c("bce", "mse"))
  expect_identical(errors$mse, 0)
  expect_equal(reconstruction_errors(x, x * 0.5)$mse, mean((x / 2)^2), tolerance = 1e-6)
})
