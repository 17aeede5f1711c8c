#' Attributes measured on the image: ink mass and slant
#'
#' `ink_mass()` sums the pixel intensities, a measure of stroke thickness.
#' `slant()` is `-cov(row, column) / var(row)` with the pixels as weights: how
#' many columns the digit moves right per row up (positive leans right, 0 is
#' upright), the moments used to deskew MNIST.
#'
#' @param images An array `n x 28 x 28 x 1` with values in `[0, 1]`.
#' @return A numeric vector, one value per image.
#' @export
#' @examplesIf vaelab_available()
#' bar <- matrix(0, 28, 28)
#' for (r in 5:24) bar[r, round(14 + 0.5 * (15 - r))] <- 1
#' ink_mass(bar)
#' slant(bar)
ink_mass <- function(images) {
  as.double(vaelab_call("ink_mass", images = as_images(images)))
}

#' @rdname ink_mass
#' @export
slant <- function(images) {
  as.double(vaelab_call("slant", images = as_images(images)))
}

#' Attribute vectors: add a property to digits in latent space
#'
#' `attribute_vector()` encodes `images` and returns the mean latent vector of
#' those with the attribute minus the mean of those without it.
#' `apply_attribute()` adds `strength * vector` to each image's latent vector,
#' for every strength, and decodes. [plot_edit_rows()] draws the result.
#'
#' @param model A vaelab VAE or conditional model.
#' @param images An array `n x 28 x 28 x 1` with values in `[0, 1]`.
#' @param has_attribute `TRUE`/`FALSE` per image, e.g.
#'   `ink_mass(x) > median(ink_mass(x))`.
#' @param labels Digit labels of the images, needed (only) by conditional
#'   models.
#' @param vector An attribute vector (length `latent_dim`).
#' @param strengths Multiples of `vector` to add; 0 is the reconstruction.
#' @return `attribute_vector()`: a numeric vector of length `latent_dim`.
#'   `apply_attribute()`: an array `n x length(strengths) x 28 x 28 x 1`.
#' @export
#' @examplesIf vaelab_available()
#' vae <- build_vae(latent_dim = 2, seed = 1)
#' x <- array(runif(10 * 28 * 28), c(10, 28, 28, 1))
#' v <- attribute_vector(vae, x, ink_mass(x) > median(ink_mass(x)))
#' dim(apply_attribute(vae, x[1:2, , , , drop = FALSE], v, c(0, 1, 2)))
attribute_vector <- function(model, images, has_attribute, labels = NULL) {
  as.double(vaelab_call("attribute_vector", model = as_model(model), images = as_images(images),
                        has_attribute = as_array(has_attribute, "has_attribute"),
                        labels = as_optional_labels(labels)))
}

#' @rdname attribute_vector
#' @export
apply_attribute <- function(model, images, vector, strengths, labels = NULL) {
  vaelab_call("apply_attribute", model = as_model(model), images = as_images(images),
              vector = as_array(vector, "vector"), strengths = as_array(strengths, "strengths"),
              labels = as_optional_labels(labels))
}
