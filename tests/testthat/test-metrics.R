# The Laplacian written out in R: 3 x 3 kernel, border reflected without repeating the edge.
laplacian_variance_r <- function(image) {
  h <- nrow(image)
  w <- ncol(image)
  p <- image[c(2, 1:h, h - 1), c(2, 1:w, w - 1)]
  lap <- p[1:h, 2:(w + 1)] + p[3:(h + 2), 2:(w + 1)] + p[2:(h + 1), 1:w] +
    p[2:(h + 1), 3:(w + 2)] - 4 * image
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

test_that("laplacian_variance() measures colour images of any size on their luminance", {
  skip_if_no_vaelab()
  set.seed(3)
  x <- array(runif(2 * 20 * 36 * 3), c(2, 20, 36, 3))
  luminance <- 0.299 * x[, , , 1] + 0.587 * x[, , , 2] + 0.114 * x[, , , 3]
  expected <- vapply(1:2, function(i) laplacian_variance_r(luminance[i, , ]), numeric(1))
  expect_equal(laplacian_variance(x), expected, tolerance = 1e-5)
  # The channels are weighted unequally: a red image is not a blue one.
  red <- blue <- array(0, c(1, 16, 16, 3))
  red[1, , seq(1, 16, 2), 1] <- 1
  blue[1, , seq(1, 16, 2), 3] <- 1
  expect_equal(laplacian_variance(red) / laplacian_variance(blue), (0.299 / 0.114)^2,
               tolerance = 1e-4)
  expect_error(laplacian_variance(array(0.5, c(1, 8, 8, 2))), "1 or 3 channels",
               class = "vaelab_ValueError")
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
  faces <- synthetic_faces(2, seed = 1, size = 32)$images
  expect_equal(reconstruction_errors(faces, faces * 0.5)$mse, mean((faces / 2)^2),
               tolerance = 1e-6)
  expect_error(reconstruction_errors(faces, x), "reconstructions: expected shape 2 x 32 x 32 x 3",
               class = "vaelab_ValueError")
})
