# Draw into a throwaway PNG and return what the plot function returned.
draw <- function(code) {
  path <- tempfile(fileext = ".png")
  grDevices::png(path, width = 600, height = 400)
  on.exit(unlink(path))
  value <- tryCatch(force(code), finally = grDevices::dev.off())
  expect_gt(file.size(path), 1000)
  value
}

test_that("plot_images() and plot_interpolations() draw rows of images", {
  skip_if_no_vaelab()
  x <- random_images(4)
  rows <- draw(plot_images(list(original = x, darker = x / 2), titles = 1:4))
  expect_length(rows, 2)
  expect_identical(rows[[2]], x / 2)
  draw(plot_interpolations(list("a -> b" = x)))
  expect_error(plot_images(list(a = "x")), "rows\\[\\[1\\]\\]: expected a numeric array")
})

test_that("plot_manifold() draws the tiled grid", {
  skip_if_no_vaelab()
  grid <- latent_grid(build_vae(latent_dim = 2, seed = 1), n = 4)
  image <- draw(plot_manifold(grid))
  expect_identical(image, tile_grid(grid))
})

test_that("plot_latent_scatter() checks the dimensions", {
  skip_if_no_vaelab()
  set.seed(1)
  z <- matrix(rnorm(300), ncol = 3)
  expect_identical(draw(plot_latent_scatter(z, rep(0:9, 10), dims = c(3, 1))), z)
  expect_error(plot_latent_scatter(z, rep(0:9, 10), dims = c(1, 4)), "dimensions in 1..3")
  expect_error(plot_latent_scatter(z, 1:3), "expected 100 labels")
})

test_that("the Laplacian plots draw per class and per group", {
  skip_if_no_vaelab()
  x <- random_images(30)
  labels <- rep(0:9, 3)
  values <- draw(plot_laplacian_boxplot(x, labels))
  expect_identical(values, laplacian_variance(x))
  blur <- list(original = values, half = laplacian_variance(x / 2))
  expect_identical(draw(plot_laplacian_histograms(blur, labels, bins = 5)), blur)
  draw(plot_laplacian_histograms(blur, rep(0, 30)))
  expect_error(plot_laplacian_histograms(values, labels), "blur: expected named sets of values",
               class = "vaelab_ValueError")
  expect_error(plot_laplacian_histograms(list(a = values[-1]), labels), "expected 30 values")
})

test_that("plot_edit_rows() draws one row per image", {
  skip_if_no_vaelab()
  edits <- array(runif(2 * 3 * 28 * 28), c(2, 3, 28, 28, 1))
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off())
  expect_identical(plot_edit_rows(edits, column_titles = c(-1, 0, 1), row_names = c("a", "b")),
                   edits)
  expect_error(plot_edit_rows(edits[1, , , , ]),
               "edits: expected shape n x m x height x width\\[ x channels\\], got 3 x 28 x 28",
               class = "vaelab_ValueError")
})

# The pixels a plot drew, as png::readPNG() reads them back: height x width x channels.
drawn_pixels <- function(code) {
  skip_if_not_installed("png")
  path <- tempfile(fileext = ".png")
  on.exit(unlink(path))
  grDevices::png(path, width = 500, height = 400)
  tryCatch(force(code), finally = grDevices::dev.off())
  png::readPNG(path)[, , 1:3]
}

# How many pixels are (close to) the colour c(red, green, blue), each in [0, 1].
count_colour <- function(pixels, colour) {
  sum(abs(pixels[, , 1] - colour[1]) < 0.02 & abs(pixels[, , 2] - colour[2]) < 0.02 &
        abs(pixels[, , 3] - colour[3]) < 0.02)
}

grey_pixels <- function(pixels) {
  all(abs(pixels[, , 1] - pixels[, , 2]) < 0.02 & abs(pixels[, , 2] - pixels[, , 3]) < 0.02)
}

# n images of one colour, height x width.
plain_images <- function(n, colour, height = 64, width = 64) {
  aperm(array(colour, c(3, n, height, width)), c(2, 3, 4, 1))
}

test_that("each image becomes a raster: grey levels for 1 channel, RGB colours for 3", {
  colour <- array(0, c(2, 4, 6, 3))
  colour[2, 3, 5, ] <- c(1, 0.5, 0)
  raster <- vaelab:::image_raster(colour, 2)
  expect_s3_class(raster, "raster")
  expect_identical(dim(raster), c(4L, 6L))
  expect_identical(as.matrix(raster)[3, 5], grDevices::rgb(1, 0.5, 0))
  expect_identical(as.matrix(raster)[1, 1], "#000000")
  grey <- array(seq(0, 1, length.out = 12), c(1, 3, 4, 1))
  raster <- vaelab:::image_raster(grey, 1)
  expect_identical(dim(raster), c(3L, 4L))
  expect_identical(as.vector(as.matrix(raster)), grDevices::gray(seq(0, 1, length.out = 12)))
})

test_that("plot_images() draws colour images in colour and grey images in grey, any size", {
  skip_if_no_vaelab()
  red <- plain_images(3, c(1, 0, 0))
  blue <- plain_images(2, c(0, 0, 1), height = 32, width = 48)
  pixels <- drawn_pixels(plot_images(list(red = red, blue = blue), titles = 1:3))
  red_at <- which(abs(pixels[, , 1] - 1) < 0.02 & pixels[, , 2] < 0.02 & pixels[, , 3] < 0.02,
                  arr.ind = TRUE)
  blue_at <- which(pixels[, , 1] < 0.02 & pixels[, , 2] < 0.02 & abs(pixels[, , 3] - 1) < 0.02,
                   arr.ind = TRUE)
  expect_gt(nrow(red_at), 1000)
  expect_gt(nrow(blue_at), 500)
  # The red row above the blue one; three red images side by side, two blue ones.
  expect_lt(max(red_at[, "row"]), min(blue_at[, "row"]))
  expect_gt(nrow(red_at) / nrow(blue_at), 1.5)
  faces <- synthetic_faces(3, seed = 1, size = 32)$images
  grey <- drawn_pixels(plot_images(list(a = faces[, , , 2], b = faces[, , , 1, drop = FALSE])))
  expect_true(grey_pixels(grey))
  expect_false(grey_pixels(drawn_pixels(plot_images(faces))))
  expect_error(plot_images(array(0.5, c(1, 8, 8, 2))),
               "rows\\[\\[1\\]\\]: expected shape n x height x width x channels with 1 or 3",
               class = "vaelab_ValueError")
})

test_that("plot_manifold() and plot_edit_rows() draw colour grids in colour", {
  skip_if_no_vaelab()
  grid <- aperm(array(c(0, 1, 0), c(3, 3, 3, 32, 32)), c(2, 3, 4, 5, 1)) # all green
  grid[1, 1, , , ] <- 0.5
  image <- NULL
  pixels <- drawn_pixels(image <- plot_manifold(grid))
  expect_identical(image, tile_grid(grid))
  expect_identical(dim(image), c(96L, 96L, 3L))
  expect_gt(count_colour(pixels, c(0, 1, 0)), 8 * count_colour(pixels, c(0.5, 0.5, 0.5)) * 0.9)
  expect_gt(count_colour(pixels, c(0.5, 0.5, 0.5)), 100)
  vae <- build_vae(latent_dim = 2, input_shape = c(32, 32, 3), seed = 1, jit_compile = FALSE)
  expect_identical(dim(draw(plot_manifold(latent_grid(vae, n = 3)))), c(96L, 96L, 3L))
  edits <- aperm(array(c(1, 0, 0), c(3, 2, 3, 64, 64)), c(2, 3, 4, 5, 1))
  pixels <- drawn_pixels(plot_edit_rows(edits, column_titles = c(-1, 0, 1)))
  expect_gt(count_colour(pixels, c(1, 0, 0)), 1000)
  expect_true(grey_pixels(drawn_pixels(plot_edit_rows(edits[, , , , 2]))))
})
