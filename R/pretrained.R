#' Load a shipped pretrained model
#'
#' Builds the model and loads the weights that ship with the Python package,
#' after checking their sha256 against the manifest. The models:
#' `"classifier"` (the perceptual MNIST classifier), `"vae"` and `"dfc_vae"`
#' (latent size 5, the article's loss), `"vae_2d"` (latent size 2, the book's
#' loss), and the conditional models. On 64 x 64 synthetic faces
#' ([synthetic_faces()]): `"faces_classifier"` (an attribute classifier, the
#' perceptual model of `"faces_dfc_vae"`), `"faces_evaluator"` (a second one,
#' trained apart, to measure the VAEs with), `"faces_vae"` and
#' `"faces_dfc_vae"`; [manifest()] gives their training and measurements.
#' `available_pretrained()` lists those shipped with this installation.
#'
#' @param name The name of a shipped model, one of `available_pretrained()`.
#' @return `load_pretrained()`: a Keras model. `available_pretrained()`: a
#'   character vector.
#' @export
#' @examplesIf vaelab_available() && "vae" %in% available_pretrained()
#' available_pretrained()
#' vae <- load_pretrained("vae")
#' dim(generate(vae, n = 2, seed = 1))
load_pretrained <- function(name) {
  vaelab_call("load_pretrained", name = as_scalar(name, "name"))
}

#' @rdname load_pretrained
#' @export
available_pretrained <- function() {
  as.character(unlist(vaelab_call("available_pretrained")))
}

#' How the shipped models were trained
#'
#' The manifest records, for each shipped model, its architecture, latent
#' size, loss recipe, epochs, batch size, seed, library versions, the sha256
#' of its weights and its test metrics.
#'
#' @return A named list with one entry (a list) per shipped model; empty when
#'   none is shipped.
#' @export
#' @examplesIf vaelab_available() && "vae" %in% available_pretrained()
#' entry <- manifest()$vae
#' entry[c("latent_dim", "recipe", "epochs", "batch_size")]
manifest <- function() {
  vaelab_call("manifest")
}
