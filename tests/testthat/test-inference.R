test_that("encode, decode and reconstruct agree with each other and with Python", {
  skip_if_no_vaelab()
  vae <- build_vae(latent_dim = 3, seed = 1)
  x <- random_images(5)
  z <- encode(vae, x)
  expect_identical(dim(z), c(5L, 3L))
  expect_identical(z, py_vaelab()$encode(vae, reticulate::np_array(x, dtype = "float32")))
  expect_identical(encode_distribution(vae, x)$z_mean, z)
  expect_named(encode_distribution(vae, x), c("z_mean", "z_log_var"))
  images <- decode(vae, z)
  expect_identical(dim(images), c(5L, 28L, 28L, 1L))
  expect_identical(reconstruct(vae, x), images)
  expect_identical(dim(decode(vae, z[1, ])), c(1L, 28L, 28L, 1L))
  expect_equal(encode(vae, x, batch_size = 2), z, tolerance = 1e-5)
})

test_that("generate() matches Python's vaelab.generate() for the same seed", {
  skip_if_no_vaelab()
  vae <- build_vae(latent_dim = 2, seed = 1)
  images <- generate(vae, n = 3, seed = 42)
  expect_identical(dim(images), c(3L, 28L, 28L, 1L))
  expect_identical(images, py_vaelab()$generate(vae, 3L, seed = 42L))
  expect_false(identical(images, generate(vae, n = 3, seed = 43)))
  expect_false(exists("sample", envir = asNamespace("vaelab"), inherits = FALSE))
})

test_that("interpolate() starts and ends at the two images' decodings", {
  skip_if_no_vaelab()
  vae <- build_vae(latent_dim = 2, seed = 1)
  x <- random_images(2)
  path <- interpolate(vae, x[1, , , ], x[2, , , , drop = FALSE], steps = 4)
  expect_identical(dim(path), c(5L, 28L, 28L, 1L))
  ends <- reconstruct(vae, x)
  expect_equal(path[c(1, 5), , , , drop = FALSE], ends, tolerance = 1e-6)
  expect_error(interpolate(vae, x, x[1, , , ]), "image_from: expected a single image",
               class = "vaelab_ValueError")
})

test_that("latent_grid() takes 1-based dimensions and the book's quantiles", {
  skip_if_no_vaelab()
  expect_equal(grid_values(15), qnorm(seq(0.05, 0.95, length.out = 15)), tolerance = 1e-6)
  vae <- build_vae(latent_dim = 3, seed = 1)
  grid <- latent_grid(vae, n = 3, dims = c(1, 3))
  expect_identical(dim(grid), c(3L, 3L, 28L, 28L, 1L))
  expect_identical(grid, py_vaelab()$latent_grid(vae, 3L, dims = list(0L, 2L)))
  # Cell [i, j] decodes z[1] = values[i], z[3] = values[j], z[2] = 0.
  v <- grid_values(3)
  cell <- decode(vae, c(v[3], 0, v[2]))
  expect_equal(grid[3, 2, , , , drop = FALSE][1, 1, , , 1], cell[1, , , 1], tolerance = 1e-6)
  expect_error(latent_grid(vae, dims = c(1, 4)), class = "vaelab_ValueError")
  expect_error(latent_grid(vae, dims = c(0, 1)),
               "dims: expected two different latent dimensions in 1\\.\\.3, got 0, 1",
               class = "vaelab_ValueError")
  expect_error(latent_grid(vae, dims = c(1, NA)), "dims: contains NA", class = "vaelab_input_error")
})

test_that("tile_grid() puts cell [i, j] at rows (i-1)*28 + 1:28, columns (j-1)*28 + 1:28", {
  skip_if_no_vaelab()
  grid <- array(seq_len(2 * 3 * 784) / 8192, c(2, 3, 28, 28, 1))
  image <- tile_grid(grid)
  expect_identical(dim(image), c(56L, 84L))
  for (i in 1:2) for (j in 1:3) {
    expect_identical(image[(i - 1) * 28 + 1:28, (j - 1) * 28 + 1:28], grid[i, j, , , 1])
  }
  expect_error(tile_grid(matrix(0, 28, 28)), "grid: expected shape", class = "vaelab_ValueError")
})

test_that("a colour model gives arrays n x H x W x C with pixels where Python has them", {
  skip_if_no_vaelab()
  vae <- build_vae(latent_dim = 3, input_shape = c(32, 32, 3), seed = 1, jit_compile = FALSE)
  # The same images built on each side: R fills array_reshape()'s result row by row, as
  # NumPy's reshape does, so R's x[i, row, col, channel] is Python's x[i-1, row-1, ...].
  n <- 2 * 32 * 32 * 3
  x <- reticulate::array_reshape(seq_len(n) / n, c(2, 32, 32, 3))
  x_py <- reticulate::py_eval(sprintf(
    "__import__('numpy').arange(1, %d + 1, dtype='float64').reshape(2, 32, 32, 3) / %d", n, n),
    convert = FALSE)
  vaelab_py <- py_vaelab(convert = FALSE)
  pixel <- reticulate::py_eval("lambda a, i, r, c, k: float(a[i, r, c, k])")
  z <- encode(vae, x)
  expect_identical(dim(z), c(2L, 3L))
  expect_equal(z, reticulate::py_to_r(vaelab_py$encode(vae, x_py)), tolerance = 1e-6)
  images <- reconstruct(vae, x)
  expect_identical(dim(images), c(2L, 32L, 32L, 3L))
  from_python <- vaelab_py$reconstruct(vae, x_py)
  for (at in list(c(1, 1, 1, 1), c(2, 5, 9, 3), c(1, 32, 2, 2), c(2, 3, 31, 1))) {
    expect_equal(images[at[1], at[2], at[3], at[4]],
                 do.call(pixel, c(list(from_python), as.list(as.integer(at) - 1L))),
                 tolerance = 1e-6, label = paste(at, collapse = ", "))
  }
  expect_equal(decode(vae, z), images, tolerance = 1e-6)
  expect_identical(dim(generate(vae, n = 4, seed = 1)), c(4L, 32L, 32L, 3L))
  path <- interpolate(vae, x[1, , , ], x[2, , , , drop = FALSE], steps = 2)
  expect_identical(dim(path), c(3L, 32L, 32L, 3L))
  expect_equal(path[c(1, 3), , , , drop = FALSE], images, tolerance = 1e-5)
  grid <- latent_grid(vae, n = 2, dims = c(1, 3))
  expect_identical(dim(grid), c(2L, 2L, 32L, 32L, 3L))
  cell <- decode(vae, c(grid_values(2)[2], 0, grid_values(2)[1]))
  expect_equal(grid[2, 1, , , ], cell[1, , , ], tolerance = 1e-6)
  expect_error(encode(vae, random_images(2)),
               "images: expected shape n x 32 x 32 x 3 for model 'vae', got 2 x 28 x 28 x 1",
               class = "vaelab_ValueError")
  expect_error(interpolate(vae, x[1, , , 1], x[2, , , ]), "image_from: expected shape",
               class = "vaelab_ValueError")
})

test_that("tile_grid() keeps colour: cell [i, j] channel k lands in channel k", {
  skip_if_no_vaelab()
  grid <- array(0, c(2, 3, 4, 5, 3))
  grid[2, 3, , , 1] <- 1 # red
  grid[1, 2, 2, 3, 3] <- 0.5 # one blue pixel
  image <- tile_grid(grid)
  expect_identical(dim(image), c(8L, 15L, 3L))
  expect_identical(image[5:8, 11:15, 1], matrix(1, 4, 5))
  expect_identical(sum(image[, , 1]), 20)
  expect_identical(image[2, 5 + 3, 3], 0.5)
  expect_identical(sum(image[, , 2:3]), 0.5)
})
