test_that("compare_sharpness() returns R structures", {
  skip_if_no_vaelab()
  x <- random_images(20)
  y <- rep(0:9, 2)
  clf <- build_perceptual_model(seed = 1)
  gan <- build_vaegan(latent_dim = 2, conditional = TRUE, seed = 2)
  result <- compare_sharpness(list("plain VAE" = build_vae(latent_dim = 2, seed = 1),
                                   "VAE-GAN" = gan), clf, x, y)
  expect_identical(dimnames(result$mean_laplacian_variance),
                   list(c("digits other than 1", "digit 1"),
                        c("original", "plain VAE", "VAE-GAN")))
  expect_equal(result$mean_laplacian_variance["digit 1", "original"],
               mean(laplacian_variance(x)[y == 1]))
  expect_s3_class(result$tests, "data.frame")
  expect_identical(nrow(result$tests), 6L)
  expect_named(result$classifier_accuracy, c("original", "plain VAE", "VAE-GAN"))
  expect_error(compare_sharpness(list(gan), clf, x, y), "models:", class = "vaelab_ValueError")
})
