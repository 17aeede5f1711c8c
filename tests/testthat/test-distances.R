# FID and KID from R: the same numbers as Python, 1-based layers, errors naming the argument.

test_that("FID and KID give Python's numbers, from images and from feature matrices", {
  skip_if_no_pretrained("vae")
  real <- random_images(300, seed = 1)
  fake <- generate(load_pretrained("vae"), 300, seed = 2)
  py <- py_vaelab()
  fid <- frechet_distance(real, fake)
  expect_equal(fid, py$frechet_distance(real, fake), tolerance = 1e-10)
  expect_equal(frechet_distance(image_features(real), image_features(fake)), fid,
               tolerance = 1e-8)
  kid <- kernel_inception_distance(real, fake, subsets = 5, subset_size = 40, seed = 3)
  expect_named(kid, c("kid", "std", "standard_error", "subsets", "subset_size"))
  expect_equal(kid$kid, py$kernel_inception_distance(real, fake, subsets = 5L,
                                                     subset_size = 40L, seed = 3L)$kid,
               tolerance = 1e-10)
  expect_identical(c(kid$subsets, kid$subset_size), c(5L, 40L))
})

test_that("image_features() takes a layer by name or by 1-based position", {
  skip_if_no_pretrained("classifier")
  clf <- load_pretrained("classifier")
  x <- random_images(3)
  f <- image_features(x)
  expect_identical(dim(f), c(3L, 64L))
  last_conv <- which(vapply(clf$layers, function(l) l$name, "") == "conv3")
  expect_equal(image_features(x, clf, last_conv), image_features(x, clf, "conv3"))
})

test_that("bad inputs give classed errors that name the argument", {
  skip_if_no_vaelab()
  expect_error(frechet_distance(matrix(0, 5, 3), matrix(0, 5, 4)), "same width, got 3 and 4",
               class = "vaelab_error")
  expect_error(frechet_distance(matrix(0, 5, 3), "x"), "generated:",
               class = "vaelab_ValueError")
  expect_error(kernel_inception_distance(matrix(0, 5, 3), matrix(0, 5, 3), subsets = 0),
               "subsets:", class = "vaelab_ValueError")
})

test_that("generation_scores() gives Python's table as a data frame, floor first", {
  skip_if_no_mnist()
  x <- mnist_test()$x
  vae <- load_pretrained("vae")
  real <- x[1:300, , , , drop = FALSE]
  reference <- x[301:600, , , , drop = FALSE]
  scores <- generation_scores(list("plain VAE" = vae), real, n = 300, reference = reference,
                              subsets = 3, subset_size = 100)
  expect_identical(rownames(scores), c("real images (floor)", "plain VAE"))
  expect_named(scores, c("fid", "kid", "kid_std", "n"))
  py <- py_vaelab()$generation_scores(list("plain VAE" = vae), real, n = 300L,
                                      reference = reference, seed = 0L, subsets = 3L,
                                      subset_size = 100L)
  expect_equal(scores["plain VAE", "fid"], py[["plain VAE"]]$fid, tolerance = 1e-10)
  expect_lt(scores["real images (floor)", "fid"], scores["plain VAE", "fid"])
  expect_error(generation_scores(vae, real), class = "vaelab_error")
})
