test_that("ink_mass() and slant() measure known images", {
  skip_if_no_vaelab()
  bar <- matrix(0, 28, 28)
  for (r in 5:24) bar[r, round(14 + 0.5 * (15 - r)) + 0:1] <- 1
  expect_equal(ink_mass(bar), 40)
  expect_equal(slant(bar), 0.5, tolerance = 0.05)
  expect_equal(slant(bar[, 28:1]), -0.5, tolerance = 0.05)
  expect_error(slant(array(0, c(1, 28, 28, 1))), "have no ink", class = "vaelab_ValueError")
})

test_that("attribute_vector() and apply_attribute() move along the mean difference", {
  skip_if_no_vaelab()
  vae <- build_vae(latent_dim = 2, seed = 1)
  x <- random_images(10)
  has <- rep(c(TRUE, FALSE), 5)
  z <- encode(vae, x)
  v <- attribute_vector(vae, x, has)
  expect_equal(v, colMeans(z[has, ]) - colMeans(z[!has, ]), tolerance = 1e-5)
  edits <- apply_attribute(vae, x[1:3, , , , drop = FALSE], v, c(0, 1.5))
  expect_identical(dim(edits), c(3L, 2L, 28L, 28L, 1L))
  expect_equal(edits[2, 2, , , 1], decode(vae, z[2, ] + 1.5 * v)[1, , , 1], tolerance = 1e-5)
  expect_error(attribute_vector(vae, x, has[1:4]), "has_attribute: expected 10 values",
               class = "vaelab_ValueError")
  expect_error(attribute_vector(vae, x, rep(TRUE, 10)), "both with and without",
               class = "vaelab_ValueError")
  cvae <- build_cvae(latent_dim = 2, seed = 1)
  expect_error(attribute_vector(cvae, x, has), "is conditional; pass the digit labels",
               class = "vaelab_ValueError")
  expect_length(attribute_vector(cvae, x, has, labels = rep(0:4, 2)), 2)
})

test_that("attribute_vectors() gives the vector of every attribute by name", {
  skip_if_no_vaelab()
  faces <- synthetic_faces(20, seed = 4, size = 32)
  clf <- build_attribute_classifier(c(32, 32, 3), width = 2, seed = 1)
  vae <- build_dfc_vae(clf, latent_dim = 3, seed = 1)  # a VAE of 32 x 32 colour images
  vectors <- attribute_vectors(vae, faces$images, faces$attributes)
  expect_identical(names(vectors), names(faces$attributes))
  has <- faces$attributes$Eyeglasses == 1
  expect_equal(vectors$Eyeglasses, attribute_vector(vae, faces$images, has))
  z <- encode(vae, faces$images)
  expect_equal(vectors$Smiling, colMeans(z[faces$attributes$Smiling == 1, ]) -
                 colMeans(z[faces$attributes$Smiling == -1, ]), tolerance = 1e-5)
  all_hats <- faces$attributes
  all_hats$Wearing_Hat <- 1L
  expect_error(attribute_vectors(vae, faces$images, all_hats),
               "Wearing_Hat.*expected images both with and without the attribute",
               class = "vaelab_ValueError")
})
