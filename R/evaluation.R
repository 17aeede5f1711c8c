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

#' Evaluate face models: sharpness, attributes kept and attribute edits
#'
#' `evaluate_faces()` is the faces' counterpart of [compare_sharpness()]: it
#' reconstructs `images` with every model and returns the mean variance of
#' the Laplacian (measured on luminance) of the originals and of each model's
#' reconstructions, the paired tests between every two of them (as
#' [blur_comparison()], one group `"all faces"`), how often `evaluator` reads
#' each attribute of the reconstructions right, and their reconstruction
#' errors. With `vectors` it also measures attribute edits:
#' `attribute_effect()` adds `strength * vector` to the latent vector of each
#' image for every strength and returns the evaluator's mean P(`attribute`)
#' of the decoded images; on faces without the attribute, a working vector
#' raises it with the strength.
#'
#' Measure with an evaluator trained apart from any DFC VAE's perceptual model
#' (see [build_attribute_classifier()]), e.g.
#' `load_pretrained("faces_evaluator")`.
#'
#' @param models A named list of VAEs, e.g. `list("plain VAE" = vae,
#'   "DFC VAE" = dfc)`.
#' @param model A VAE.
#' @param evaluator An attribute classifier.
#' @param images Faces, an array `n x height x width x channels` with values
#'   in `[0, 1]`.
#' @param attributes Their +1/-1 attributes, a data.frame with one column per
#'   attribute.
#' @param vectors Optional attribute vectors of some of the models: a named
#'   list, by model name, of named lists of vectors, by attribute (as
#'   [attribute_vectors()] gives them).
#' @param strengths Multiples of each vector to add; 0 is the reconstruction.
#' @param vector An attribute vector (length `latent_dim`).
#' @param attribute The name of the attribute the evaluator reads.
#' @return `evaluate_faces()`: a list of `n_images`, `mean_laplacian_variance`
#'   (a named vector), `tests` (a data.frame), `attribute_accuracy` (a matrix,
#'   one row per image set, one column per attribute and `mean`),
#'   `reconstruction_error` (a matrix, one row per model, columns `bce` and
#'   `mse`) and, with `vectors`, `strengths` and `attribute_effect` (a list by
#'   model of matrices, one row per attribute, one column per strength, each
#'   measured on the images without that attribute). `attribute_effect()`: one
#'   mean probability per strength.
#' @export
#' @examplesIf vaelab_available()
#' faces <- synthetic_faces(200, seed = 1)
#' vae <- load_pretrained("faces_vae")
#' dfc <- load_pretrained("faces_dfc_vae")
#' evaluator <- load_pretrained("faces_evaluator")
#' smile <- attribute_vectors(dfc, faces$images, faces$attributes)$Smiling
#' plain <- faces$images[faces$attributes$Smiling == -1, , , , drop = FALSE]
#' attribute_effect(dfc, evaluator, plain, smile, 0:3, "Smiling")
#' result <- evaluate_faces(list("plain VAE" = vae, "DFC VAE" = dfc), evaluator,
#'                          faces$images, faces$attributes)
#' result$mean_laplacian_variance
#' result$attribute_accuracy
evaluate_faces <- function(models, evaluator, images, attributes, vectors = NULL,
                           strengths = c(0, 1, 2, 3)) {
  if (is.list(vectors)) {
    vectors <- lapply(vectors, function(by_attribute) {
      as_named_list(by_attribute, function(v) as_array(v, "vectors"))
    })
  }
  out <- vaelab_call("evaluate_faces", models = as_named_list(models, as_model),
                     evaluator = as_model(evaluator, "evaluator"), images = as_images(images),
                     attributes = as_attribute_table(attributes), vectors = vectors,
                     strengths = as_array(strengths, "strengths"))
  rows <- function(table) do.call(rbind, lapply(table, unlist))
  result <- list(n_images = out[["n_images"]],
                 mean_laplacian_variance = unlist(out[["mean_laplacian_variance"]]),
                 tests = data_frame(out[["tests"]]),
                 attribute_accuracy = rows(out[["attribute_accuracy"]]),
                 reconstruction_error = rows(out[["reconstruction_error"]]))
  if (!is.null(out[["attribute_effect"]])) {
    result$strengths <- unlist(out[["strengths"]])
    result$attribute_effect <- lapply(out[["attribute_effect"]], rows)
  }
  result
}

#' @rdname evaluate_faces
#' @export
attribute_effect <- function(model, evaluator, images, vector, strengths, attribute) {
  as.double(vaelab_call("attribute_effect", model = as_model(model),
                        evaluator = as_model(evaluator, "evaluator"), images = as_images(images),
                        vector = as_array(vector, "vector"),
                        strengths = as_array(strengths, "strengths"),
                        attribute = as_scalar(attribute, "attribute")))
}
