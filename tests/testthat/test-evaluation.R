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

test_that("evaluate_faces() and attribute_effect() measure face models by an evaluator", {
  skip_if_no_vaelab()
  faces <- synthetic_faces(16, seed = 5, size = 32)
  x <- faces$images
  a <- faces$attributes
  evaluator <- build_attribute_classifier(c(32, 32, 3), width = 2, seed = 2)
  vae <- build_dfc_vae(build_attribute_classifier(c(32, 32, 3), width = 2, seed = 3),
                       latent_dim = 3, seed = 1)
  vectors <- attribute_vectors(vae, x, a)
  plain <- x[a$Smiling == -1, , , , drop = FALSE]
  effect <- attribute_effect(vae, evaluator, plain, vectors$Smiling, c(0, 2), "Smiling")
  expected <- sapply(c(0, 2), function(s) {
    mean(attribute_probabilities(evaluator, decode(vae, sweep(encode(vae, plain), 2,
                                                              s * vectors$Smiling, "+")))$Smiling)
  })
  expect_equal(effect, expected, tolerance = 1e-5)
  expect_error(attribute_effect(vae, evaluator, plain, vectors$Smiling, 0, "Bald"),
               "not 'Bald'", class = "vaelab_ValueError")
  result <- evaluate_faces(list("DFC VAE" = vae), evaluator, x, a,
                           vectors = list("DFC VAE" = vectors), strengths = c(0, 2))
  expect_identical(names(result$mean_laplacian_variance), c("original", "DFC VAE"))
  expect_equal(result$mean_laplacian_variance[["DFC VAE"]],
               mean(laplacian_variance(reconstruct(vae, x))))
  expect_identical(rownames(result$attribute_accuracy), c("original", "DFC VAE"))
  expect_identical(colnames(result$attribute_accuracy), c(names(a), "mean"))
  expect_equal(result$attribute_accuracy["DFC VAE", ],
               attribute_accuracy(evaluator, reconstruct(vae, x), a))
  expect_identical(result$tests$group, "all faces")
  expect_identical(result$strengths, c(0, 2))
  expect_equal(result$attribute_effect[["DFC VAE"]]["Smiling", ], effect, tolerance = 1e-6)
})
