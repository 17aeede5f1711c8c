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
