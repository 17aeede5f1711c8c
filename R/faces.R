#' Synthetic cartoon faces, a stand-in for CelebA
#'
#' CelebA cannot be downloaded everywhere, so vaelab draws cartoon faces
#' instead: 64 x 64 colour images, NOT CelebA and not photographs, with
#' nuisance variation (position, scale, tilt, background, lighting) and six
#' independent binary attributes under CelebA's names: `Smiling` (mouth curved
#' up), `Mouth_Slightly_Open` (a dark gap below the upper lip), `Eyeglasses`,
#' `Wearing_Hat`, `Pale_Skin` and `Blond_Hair`, each present in about half of
#' the faces. The same `seed` draws the same faces as Python's
#' `vaelab.faces.synthetic_faces()`. `write_celeba_layout()` writes them in
#' CelebA's on-disk layout (178 x 218 images in `img_align_celeba/`,
#' `list_attr_celeba.txt` with these six attributes, `list_eval_partition.txt`
#' in CelebA's proportions), which [load_celeba()] reads.
#'
#' @param n How many faces.
#' @param seed Optional seed.
#' @param size Their side in pixels.
#' @param path The folder to write into (created if need be).
#' @param image_format `"jpg"` or `"png"`.
#' @param quality JPEG quality, 1 to 95 (ignored for PNG).
#' @return `synthetic_faces()`: a list of `images` (double array
#'   `n x size x size x 3`, pixels in `[0, 1]`) and `attributes` (a data.frame
#'   with one integer column of +1/-1 per attribute). `write_celeba_layout()`:
#'   `path`, invisibly.
#' @export
#' @examplesIf vaelab_available()
#' faces <- synthetic_faces(16, seed = 1)
#' dim(faces$images)
#' colMeans(faces$attributes == 1)
#' folder <- write_celeba_layout(tempfile("faces"), 10, seed = 1)
#' list.files(folder)
synthetic_faces <- function(n, seed = NULL, size = 64) {
  call <- sys.call()
  faces <- vaelab_call("synthetic_faces", n = as_int(n, "n", call),
                       seed = as_optional_int(seed, "seed", call),
                       size = as_int(size, "size", call),
                       .convert = FALSE, .call = call)
  attributes <- attribute_frame(reticulate::py_get_item(faces, 1L))
  rownames(attributes) <- NULL
  list(images = reticulate::py_to_r(reticulate::py_get_item(faces, 0L)),
       attributes = attributes)
}

#' @rdname synthetic_faces
#' @export
write_celeba_layout <- function(path, n, seed = NULL, image_format = "jpg", quality = 95) {
  call <- sys.call()
  vaelab_call("write_celeba_layout", path = as_path(path, call = call),
              n = as_int(n, "n", call), seed = as_optional_int(seed, "seed", call),
              image_format = as_scalar(image_format, "image_format", call),
              quality = as_int(quality, "quality", call), .call = call)
  invisible(path)
}
