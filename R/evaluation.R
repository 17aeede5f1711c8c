#' Evaluate models like the DFC VAE: sharpness and recognisability
#'
#' Reconstructs `images` with every model (conditional ones are given
#' `labels`) and returns the mean variance of the Laplacian per class group,
#' every paired test between originals and reconstructions (as
#' [blur_comparison()]), and the classifier's accuracy on the
#' reconstructions.
#'
#' @param models A named list of models, e.g. `list("plain VAE" = vae,
#'   "DFC VAE" = dfc, "VAE-GAN" = gan)`.
#' @param classifier A classifier such as `load_pretrained("classifier")`.
#' @param images Test images, an array `n x 28 x 28 x 1`.
#' @param labels Their digit labels.
#' @return A list of `mean_laplacian_variance` (a matrix, one row per class
#'   group, one column per image set), `tests` (a data.frame) and
#'   `classifier_accuracy` (a named vector).
#' @export
#' @examplesIf vaelab_available()
#' x <- array(runif(20 * 28 * 28), c(20, 28, 28, 1))
#' clf <- build_perceptual_model(seed = 1)
#' gan <- build_vaegan(latent_dim = 2, conditional = TRUE, seed = 1)
#' compare_sharpness(list(VAE = build_vae(latent_dim = 2), "VAE-GAN" = gan), clf, x,
#'                   rep(0:9, 2))$mean_laplacian_variance
compare_sharpness <- function(models, classifier, images, labels) {
  out <- vaelab_call("compare_sharpness", models = as_named_list(models, as_model),
                     classifier = as_model(classifier, "classifier"),
                     images = as_images(images), labels = as_labels(labels))
  means <- out[["mean_laplacian_variance"]]
  list(mean_laplacian_variance = do.call(rbind, lapply(means, unlist)),
       tests = data_frame(out[["tests"]]),
       classifier_accuracy = unlist(out[["classifier_accuracy"]]))
}

# A pandas DataFrame as a data.frame, column by column: reticulate 1.28 does not recognise
# pandas 3 data frames.
data_frame <- function(table) {
  columns <- table$to_dict(orient = "list")
  as.data.frame(lapply(columns, unlist), stringsAsFactors = FALSE)
}
