# Coercions run in R before Python starts; the bridge keeps every pixel at its index.

test_that("as_images accepts the documented shapes and returns n x 28 x 28 x 1", {
  one <- matrix(seq_len(784) / 784, 28, 28)
  expect_equal(dim(vaelab:::as_images(one)), c(1, 28, 28, 1))
  expect_equal(vaelab:::as_images(one)[1, 3, 5, 1], one[3, 5])
  three <- array(seq_len(3 * 784) / (3 * 784), c(3, 28, 28))
  x <- vaelab:::as_images(three)
  expect_equal(dim(x), c(3, 28, 28, 1))
  expect_equal(x[2, 7, 11, 1], three[2, 7, 11])
  expect_equal(dim(vaelab:::as_images(array(0, c(28, 28, 1)))), c(1, 28, 28, 1))
  expect_equal(dim(vaelab:::as_images(array(0, c(5, 28, 28, 1)))), c(5, 28, 28, 1))
})

test_that("as_images rejects wrong types, shapes and values with classed R errors", {
  expect_error(vaelab:::as_images("a"), class = "vaelab_input_error")
  expect_error(vaelab:::as_images(data.frame(a = 1)), "numeric array of images")
  expect_error(vaelab:::as_images(array(255L, c(2, 28, 28, 1))), "integers; divide by 255")
  expect_error(vaelab:::as_images(runif(784)), "got numeric \\(length 784\\)")
  expect_error(vaelab:::as_images(array(0, c(2, 28, 27, 1))), "2 x 28 x 27 x 1")
  expect_error(vaelab:::as_images(array(0, c(2, 28, 28, 3))), "n x 28 x 28 x 1")
  expect_error(vaelab:::as_images(array(NA_real_, c(1, 28, 28, 1))), "NA or infinite")
  expect_error(vaelab:::as_images(array(255, c(1, 28, 28, 1))),
               "range \\[255, 255\\]; they look like gray levels 0..255: divide by 255 first")
  expect_error(vaelab:::as_images(array(0, c(0, 28, 28, 1))), "at least one image")
})

test_that("the other coercions check their arguments", {
  expect_identical(vaelab:::as_int(3, "n"), 3L)
  expect_error(vaelab:::as_int(2.5, "epochs"), "epochs: expected one whole number >= 1")
  expect_error(vaelab:::as_int(c(1, 2), "n"), class = "vaelab_input_error")
  expect_null(vaelab:::as_seed(NULL))
  expect_identical(vaelab:::as_seed(0), 0L)
  expect_identical(vaelab:::as_labels(factor(c(3, 1, 9))), c(3L, 1L, 9L))
  expect_identical(vaelab:::as_labels(array(c(0, 9), 2)), c(0L, 9L))
  expect_error(vaelab:::as_labels(c(1, 10)), "digit labels 0..9")
  expect_error(vaelab:::as_labels(c(1, 2), n = 3), "expected 3 labels")
  expect_equal(dim(vaelab:::as_latents(c(0.1, 0.2))), c(1, 2))
  expect_error(vaelab:::as_latents(array(0, c(2, 2, 2))), "matrix n x latent_dim")
  expect_error(vaelab:::as_latents(c(0, Inf)), "NA or infinite")
  expect_identical(vaelab:::as_verbose(TRUE), 2L)
  expect_identical(vaelab:::as_verbose(FALSE), 0L)
  expect_identical(vaelab:::as_verbose("auto"), "auto")
  expect_error(vaelab:::as_verbose("loud"), "verbose: expected")
  expect_error(vaelab:::as_choice("foo", c("elbo", "book"), "recipe"),
               "recipe: expected one of \"elbo\", \"book\", got \"foo\"")
  expect_error(vaelab:::as_quantiles(c(0.9, 0.1)), "0 < low < high < 1")
  expect_error(vaelab:::as_flag(NA, "shuffle"), "shuffle: expected TRUE or FALSE")
  expect_identical(vaelab:::as_jit("auto"), "auto")
  expect_identical(vaelab:::as_jit(FALSE), FALSE)
  expect_error(vaelab:::as_jit("yes"), "jit_compile: expected \"auto\", TRUE or FALSE",
               class = "vaelab_input_error")
  expect_error(vaelab:::as_model(list()), "expected a Keras model")
})

test_that("1-based positions become 0-based only for Python", {
  expect_identical(vaelab:::as_dims(c(1, 3)), c(1L, 3L))
  expect_identical(vaelab:::py_index(c(1L, 3L)), list(0L, 2L))
  expect_error(vaelab:::as_dims(c(2, 2)), "two different latent dimensions")
  expect_error(vaelab:::as_dims(c(0, 1)), "1-based")
})

test_that("R-side errors name the user's call", {
  err <- tryCatch(encode(1, array(0, c(1, 28, 28, 1))), error = identity)
  expect_s3_class(err, "vaelab_input_error")
  expect_s3_class(err, "vaelab_error")
  expect_identical(err$call[[1]], as.name("encode"))
})

test_that("images cross the bridge pixel by pixel, both ways", {
  skip_if_no_vaelab()
  # Distinct values, exact in float32, at every position of a 3 x 28 x 28 x 1 array.
  x <- array(seq_len(3 * 784) / 4096, c(3, 28, 28, 1))
  checks <- reticulate::import("vaelab.checks", convert = FALSE)
  np <- reticulate::import("numpy", convert = FALSE)
  seen <- checks$as_images(x) # what vaelab's Python code works on: float32 (3, 28, 28, 1)
  expect_identical(reticulate::py_to_r(seen$shape), list(3L, 28L, 28L, 1L))
  # Python's x[i - 1, row - 1, col - 1, 0] is R's x[i, row, col, 1] for every pixel:
  # NumPy's C-order flattening walks the indices last-fastest, R's aperm(x, 4:1) too.
  flat <- reticulate::py_to_r(np$ravel(seen, order = "C"))
  expect_identical(as.double(flat), as.vector(aperm(x, 4:1)))
  expect_identical(reticulate::py_to_r(seen[1L][4L][6L][0L]), x[2, 5, 7, 1])
  # And back: the same array returned to R, indices unchanged.
  expect_identical(reticulate::py_to_r(seen), x)
})

test_that("R images reach NumPy without a copy", {
  skip_if_no_vaelab()
  x <- array(0.5, c(2, 28, 28, 1))
  arr <- reticulate::r_to_py(vaelab:::as_images(x))
  expect_false(reticulate::py_to_r(arr$flags$owndata))
  expect_true(reticulate::py_to_r(arr$flags$f_contiguous))
})

test_that("Python exceptions become classed R errors with the Python message", {
  skip_if_no_vaelab()
  vae <- build_vae(latent_dim = 2, seed = 1)
  err <- tryCatch(decode(vae, matrix(0, 1, 3)), error = identity)
  expect_s3_class(err, "vaelab_error")
  expect_s3_class(err, "vaelab_ValueError")
  expect_identical(err$python_type, "ValueError")
  expect_identical(conditionMessage(err),
                   "z: expected shape (n, 2) for this model's latent space, got (1, 3)")
  expect_identical(err$call[[1]], as.name("decode"))
  for (noise in c("C++", "Rcpp", "Traceback")) {
    expect_false(grepl(noise, conditionMessage(err), fixed = TRUE))
  }
  err <- tryCatch(load_model(tempfile(fileext = ".keras")), error = identity)
  expect_s3_class(err, "vaelab_FileNotFoundError")
})
