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

#' Attribute vectors of named attributes, all at once
#'
#' Encodes `images` once and returns, for every column of `attributes`, the
#' mean latent vector of the images with the attribute minus the mean of
#' those without it ([attribute_vector()] for each column), as facenet's VAE
#' does on CelebA. Add a multiple of one to faces with [apply_attribute()];
#' measure how much of the attribute it adds with [attribute_effect()].
#'
#' @param model A vaelab VAE, e.g. `load_pretrained("faces_dfc_vae")`.
#' @param images An array `n x height x width x channels` with values in
#'   `[0, 1]`, of the model's image shape.
#' @param attributes A data.frame with one row per image and one column per
#'   attribute, +1 where the image has it and -1 where it does not, as
#'   [synthetic_faces()] and [load_celeba()] give it.
#' @return A named list of numeric vectors of length `latent_dim`, one per
#'   attribute.
#' @export
#' @examplesIf vaelab_available()
#' faces <- synthetic_faces(200, seed = 1)
#' dfc <- load_pretrained("faces_dfc_vae")
#' vectors <- attribute_vectors(dfc, faces$images, faces$attributes)
#' names(vectors)
#' plain <- faces$images[faces$attributes$Smiling == -1, , , , drop = FALSE]
#' smiles <- apply_attribute(dfc, plain[1:3, , , , drop = FALSE], vectors$Smiling, 0:3)
#' dim(smiles)
attribute_vectors <- function(model, images, attributes) {
  vectors <- vaelab_call("attribute_vectors", model = as_model(model), images = as_images(images),
                         attributes = as_attribute_table(attributes))
  lapply(vectors, as.double)
}
