#' Encode images to latent means, decode latent vectors to images
#'
#' `encode()` returns the encoder's mean (no sampling), as the article does;
#' `encode_distribution()` returns the mean and the log-variance. `decode()`
#' turns latent vectors into images, and `reconstruct()` is
#' `decode(model, encode(model, images))`. The same functions serve
#' conditional models ([build_cvae()], [build_vaegan()] with
#' `conditional = TRUE`, `load_pretrained("cvaegan")`), which need the digit
#' label of every image or latent vector; other models take no labels.
#'
#' @param model A vaelab VAE (or, for `encode()`, its encoder; for `decode()`,
#'   its decoder).
#' @param images Images of the model's shape ([image_shape_of()]), an array
#'   `n x height x width x channels` with values in `[0, 1]`, e.g.
#'   `n x 28 x 28 x 1` (or `n x 28 x 28`) for MNIST or `n x 64 x 64 x 3` for
#'   colour faces.
#' @param z Latent vectors, a matrix `n x latent_dim` (or one vector).
#' @param labels Digit labels 0 to 9, one per image or latent vector, for a
#'   conditional model; `NULL` for any other.
#' @param batch_size Images per prediction step (Python's
#'   `vaelab.inference.PREDICT_CHUNK` by default); it changes speed (and
#'   float32 rounding in the last digits), not results.
#' @return `encode()`: a matrix `n x latent_dim`. `encode_distribution()`: a
#'   list of `z_mean` and `z_log_var`. `decode()`, `reconstruct()`: an array
#'   `n x height x width x channels` of the model's image shape, e.g.
#'   `n x 28 x 28 x 1`; pixel `[i, row, column, channel]` (channels red,
#'   green, blue for colour).
#' @export
#' @examplesIf vaelab_available()
#' vae <- build_vae(latent_dim = 2, seed = 1)
#' x <- array(runif(3 * 28 * 28), c(3, 28, 28, 1))
#' z <- encode(vae, x)
#' dim(z)
#' dim(decode(vae, z))
#' dim(reconstruct(vae, x))
#' cvae <- build_cvae(latent_dim = 2, seed = 1)
#' dim(reconstruct(cvae, x, labels = c(1, 4, 7)))
#' colour <- build_vae(latent_dim = 8, input_shape = c(32, 32, 3), seed = 1)
#' dim(reconstruct(colour, array(runif(2 * 32 * 32 * 3), c(2, 32, 32, 3))))
encode <- function(model, images, labels = NULL, batch_size = 1000) {
  vaelab_call("encode", model = as_model(model), images = as_images(images),
              labels = as_optional_labels(labels), batch_size = as_int(batch_size, "batch_size"))
}

#' @rdname encode
#' @export
encode_distribution <- function(model, images, labels = NULL, batch_size = 1000) {
  out <- vaelab_call("encode_distribution", model = as_model(model), images = as_images(images),
                     labels = as_optional_labels(labels),
                     batch_size = as_int(batch_size, "batch_size"))
  stats::setNames(out, c("z_mean", "z_log_var"))
}

#' @rdname encode
#' @export
decode <- function(model, z, labels = NULL, batch_size = 1000) {
  vaelab_call("decode", model = as_model(model), z = as_array(z, "z"),
              labels = as_optional_labels(labels), batch_size = as_int(batch_size, "batch_size"))
}

#' @rdname encode
#' @export
reconstruct <- function(model, images, labels = NULL, batch_size = 1000) {
  vaelab_call("reconstruct", model = as_model(model), images = as_images(images),
              labels = as_optional_labels(labels), batch_size = as_int(batch_size, "batch_size"))
}

#' Generate new images from the prior
#'
#' Decodes `n` latent vectors drawn from the standard normal prior. A
#' conditional model draws the digits in `labels`: one per image (then `n` is
#' their number), or one digit for all `n` images. R and Python both call it
#' `generate()`, which leaves base R's `sample()` visible.
#'
#' @param model A vaelab VAE or its decoder, or a conditional model.
#' @param n Number of images.
#' @param labels For a conditional model, the digits to draw: one per image,
#'   or a single digit repeated `n` times. `NULL` for any other model.
#' @param seed Optional seed of the draws; the same seed gives the same images
#'   in R and Python.
#' @return An array `n x height x width x channels` of the model's image
#'   shape, e.g. `n x 28 x 28 x 1`.
#' @export
#' @examplesIf vaelab_available()
#' images <- generate(build_vae(latent_dim = 2, seed = 1), n = 4, seed = 1)
#' dim(images)
#' dim(generate(build_vae(latent_dim = 8, input_shape = c(32, 32, 3)), n = 2))
#' sevens <- generate(build_cvae(latent_dim = 2, seed = 1), n = 3, labels = 7, seed = 1)
#' dim(sevens)
generate <- function(model, n = 16, labels = NULL, seed = NULL) {
  vaelab_call("generate", model = as_model(model), n = as_int(n, "n"),
              labels = as_optional_labels(labels), seed = as_optional_int(seed, "seed"))
}

#' Interpolate between two images in latent space
#'
#' Encodes both images to their latent means and decodes `steps + 1` points
#' evenly spaced on the straight line between them, both ends included.
#'
#' @param model A vaelab VAE.
#' @param image_from,image_to One image each of the model's shape, e.g.
#'   `28 x 28`, `28 x 28 x 1` or `1 x 28 x 28 x 1` (such as
#'   `x[i, , , , drop = FALSE]`) for MNIST, `64 x 64 x 3` or
#'   `1 x 64 x 64 x 3` for colour faces.
#' @param steps Number of steps between the two ends.
#' @return An array `(steps + 1) x height x width x channels`.
#' @export
#' @examplesIf vaelab_available()
#' vae <- build_vae(latent_dim = 2, seed = 1)
#' a <- matrix(0, 28, 28)
#' b <- matrix(1, 28, 28)
#' dim(interpolate(vae, a, b, steps = 4))
#' colour <- build_vae(latent_dim = 8, input_shape = c(32, 32, 3), seed = 1)
#' dim(interpolate(colour, array(0, c(32, 32, 3)), array(1, c(32, 32, 3)), steps = 2))
interpolate <- function(model, image_from, image_to, steps = 10) {
  vaelab_call("interpolate", model = as_model(model),
              image_from = as_images(image_from, "image_from"),
              image_to = as_images(image_to, "image_to"), steps = as_int(steps, "steps"))
}

#' Decode a grid over two latent dimensions (the book's manifold)
#'
#' `latent_grid()` decodes an `n x n` grid of latent vectors whose dimensions
#' `dims` take the values `grid_values(n, quantiles)`, the other dimensions
#' staying 0. `grid_values()` are normal quantiles evenly spaced in
#' probability, like the book's `qnorm(seq(0.05, 0.95, length.out = 15))`.
#' `tile_grid()` lays the grid out as one image; [plot_manifold()] draws it.
#'
#' @param model A vaelab VAE or its decoder.
#' @param n Number of values per dimension.
#' @param dims Two different latent dimensions, 1-based.
#' @param quantiles Probabilities of the first and last values.
#' @param grid An array `rows x cols x height x width x channels` (grey
#'   images may leave out the last extent), e.g. from `latent_grid()`.
#' @return `latent_grid()`: an array `n x n x height x width x channels`
#'   whose cell `[i, j, , , ]` decodes `z[dims[1]] = values[i]`,
#'   `z[dims[2]] = values[j]`. `grid_values()`: a numeric vector.
#'   `tile_grid()`: for grey images a matrix `(rows * height) x (cols * width)`,
#'   cell `[i, j]` in rows `(i - 1) * height + 1:height`; for colour images an
#'   array `(rows * height) x (cols * width) x 3`.
#' @export
#' @examplesIf vaelab_available()
#' grid_values(15)
#' grid <- latent_grid(build_vae(latent_dim = 2, seed = 1), n = 5)
#' dim(grid)
#' dim(tile_grid(grid))
#' colour <- latent_grid(build_vae(latent_dim = 2, input_shape = c(32, 32, 3), seed = 1), n = 3)
#' dim(tile_grid(colour))
latent_grid <- function(model, n = 15, dims = c(1, 2), quantiles = c(0.05, 0.95)) {
  model <- as_model(model)
  # Checked here, counting from 1, so that an error quotes the user's own numbers.
  dims <- vaelab_call("as_dims", dims = as_array(dims, "dims"),
                      latent_dim = vaelab_call("latent_dim_of", model = model),
                      first = 1L, .module = "checks")
  vaelab_call("latent_grid", model = model, n = as_int(n, "n"), dims = dims,
              quantiles = as_tuple(quantiles, "quantiles"))
}

#' @rdname latent_grid
#' @export
grid_values <- function(n = 15, quantiles = c(0.05, 0.95)) {
  as.double(vaelab_call("grid_values", n = as_int(n, "n"),
                        quantiles = as_tuple(quantiles, "quantiles")))
}

#' @rdname latent_grid
#' @export
tile_grid <- function(grid) {
  vaelab_call("tile_grid", grid = as_array(grid, "grid"))
}
