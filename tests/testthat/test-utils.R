# R converts types and refuses NA; Python checks every value. The bridge keeps every pixel at
# its index.

test_that("conversions change types only, leaving values for Python to judge", {
  expect_identical(vaelab:::as_int(3, "n"), 3L)
  expect_identical(vaelab:::as_int(2.5, "epochs"), 2.5)
  expect_identical(vaelab:::as_int("a", "n"), "a")
  expect_null(vaelab:::as_optional_int(NULL, "seed"))
  expect_identical(vaelab:::as_labels(factor(c(3, 1, 9))), array(c(3, 1, 9)))
  expect_identical(dim(vaelab:::as_labels(7)), 1L)
  expect_identical(vaelab:::as_images(array(0.5, c(2, 28, 28))), array(0.5, c(2, 28, 28)))
  # What the image loaders return counts as its images; data frames are left alone.
  faces <- list(images = array(0.5, c(2, 8, 8, 3)), files = c("a.jpg", "b.jpg"))
  expect_identical(vaelab:::as_images(faces), faces$images)
  expect_identical(vaelab:::as_validation_data(faces), faces$images)
  expect_identical(vaelab:::as_images(data.frame(images = 1:2)), data.frame(images = 1:2))
  expect_null(vaelab:::as_ints(NULL, "input_shape"))
  expect_identical(vaelab:::as_verbose(TRUE), 2L)
  expect_identical(vaelab:::as_verbose(FALSE), 0L)
  expect_identical(vaelab:::as_verbose("auto"), "auto")
  expect_identical(vaelab:::as_layers(c(1, 3)), list(0L, 2L))
  expect_identical(vaelab:::as_layers("conv1"), list("conv1"))
  expect_identical(vaelab:::as_layer(2), 1L)
  expect_identical(vaelab:::py_index(c(1, 3), "dims"), c(0L, 2L))
  expect_identical(vaelab:::py_index(c(1, 2.5), "dims"), c(1, 2.5))
})

test_that("an image shape becomes a tuple of Python ints", {
  skip_if_no_vaelab()
  shape <- vaelab:::as_ints(c(64, 64, 3), "input_shape")
  expect_s3_class(shape, "python.builtin.tuple")
  expect_identical(reticulate::py_to_r(shape), list(64L, 64L, 3L))
})

test_that("R's NA is refused in R, naming the argument", {
  expect_error(vaelab:::as_images(array(NA_real_, c(1, 28, 28, 1))),
               "images: contains NA", class = "vaelab_input_error")
  expect_error(vaelab:::as_labels(c(1, NA)), "labels: contains NA")
  expect_error(vaelab:::as_labels(factor(c("a", "1"))), "labels: expected a factor of digits")
  expect_error(vaelab:::as_int(NA, "epochs"), "epochs: contains NA")
  err <- tryCatch(encode(1, array(NA_real_, c(1, 28, 28, 1))), error = identity)
  expect_s3_class(err, "vaelab_input_error")
  expect_identical(err$call[[1]], as.name("encode"))
})

test_that("Python's messages are put in R's words", {
  words <- vaelab:::r_words
  expect_identical(words("x: expected shape (n, 28, 28, 1) or (n, 28, 28), got (784,)"),
                   "x: expected shape n x 28 x 28 x 1 or n x 28 x 28, got 784")
  expect_identical(words("edits: expected shape (n, m, 28, 28[, 1]), got (3, 28, 28)"),
                   "edits: expected shape n x m x 28 x 28[ x 1], got 3 x 28 x 28")
  expect_identical(words("validation_data: expected (images, labels)"),
                   "validation_data: expected (images, labels)")
  expect_identical(words("a - b: the paired differences are all equal (1)"),
                   "a - b: the paired differences are all equal (1)")
  expect_identical(words("groups['digit 1']: selects 1 image(s)"),
                   "groups[[\"digit 1\"]]: selects 1 image(s)")
  expect_identical(words("convert them with x.astype('float32')"),
                   "convert them with storage.mode(x) <- \"double\"")
  expect_identical(words("expected True or False, got None (one per image)"),
                   "expected TRUE or FALSE, got NULL (one per image)")
  expect_identical(words("images: expected shape (n, 64, 64, 3) for model 'v', got (2, 28, 28, 1)"),
                   "images: expected shape n x 64 x 64 x 3 for model 'v', got 2 x 28 x 28 x 1")
  expect_identical(words("rows: expected shape (n, height, width, channels) or (n, height, width)"),
                   "rows: expected shape n x height x width x channels or n x height x width")
  expect_identical(words("edits: expected shape (n, m, height, width[, channels])"),
                   "edits: expected shape n x m x height x width[ x channels]")
  expect_identical(words("expects (64, 64, 3); load them with size=(64, 64) and channels=3"),
                   "expects 64 x 64 x 3; load them with size = c(64, 64) and channels = 3")
})

test_that("the R and Python names of a wrapper come from one table", {
  expect_identical(vaelab:::python_name("layer_sampling"), "Sampling")
  expect_identical(vaelab:::python_name("encode"), "encode")
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

test_that("colour images cross the bridge with their channels in place", {
  skip_if_no_vaelab()
  x <- array(0, c(2, 4, 5, 3))
  x[2, 3, 4, ] <- c(0.25, 0.5, 0.75) # one pixel: red, green and blue
  seen <- reticulate::import("vaelab.checks", convert = FALSE)$as_images(x, shape = NULL)
  pixel <- reticulate::py_eval("lambda a: [float(v) for v in a[1, 2, 3, :]]")
  expect_identical(unlist(pixel(seen)), c(0.25, 0.5, 0.75))
  total <- reticulate::py_eval("lambda a: float(a.sum())")
  expect_identical(total(seen), 1.5)
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
                   "z: expected shape n x 2 for this model's latent space, got 1 x 3")
  expect_identical(err$python_message,
                   "z: expected shape (n, 2) for this model's latent space, got (1, 3)")
  expect_identical(err$call[[1]], as.name("decode"))
  for (noise in c("C++", "Rcpp", "Traceback")) {
    expect_false(grepl(noise, conditionMessage(err), fixed = TRUE))
  }
  err <- tryCatch(load_model(tempfile(fileext = ".keras")), error = identity)
  expect_s3_class(err, "vaelab_FileNotFoundError")
})
