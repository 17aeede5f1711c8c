#' Load a folder of images, or CelebA
#'
#' `load_image_folder()` reads the PNG and JPEG files of a folder. When the
#' folder holds sub-folders of images, each sub-folder is a class and gives the
#' labels; otherwise the images are unlabelled. `load_celeba()` reads CelebA
#' from its own layout: `img_align_celeba/` (the aligned JPEG files),
#' `list_attr_celeba.txt` (the count, the attribute names, then one line per
#' file of +1/-1 values) and `list_eval_partition.txt` (0 train, 1 validation,
#' 2 test), checking the lists against each other and against the folder. Its
#' images are cropped to the DFC VAE authors' 138 x 138 square (top row 40,
#' left column 30, as in their `data/crop_celebA.lua`), then resized.
#' [write_celeba_layout()] writes synthetic faces, a stand-in for CelebA, in
#' this layout.
#'
#' CelebA's 202,599 images take 20 GB as R doubles at 64 x 64, so read a part
#' with `n`, or stream the whole set with `stream = TRUE`: then nothing is
#' read into R, and the result is Python's `ImageFiles` (the list of files and
#' how to read them), which [train_vae()] reads from disk one batch at a time,
#' as Python's `load_celeba()` does.
#'
#' [train_vae()] and the other functions that take images take the list
#' these loaders return as it is (they use its `images`).
#'
#' @param path The folder.
#' @param size The images' size: one number (square) or `c(height, width)`.
#' @param channels 3 (colour) or 1 (gray).
#' @param crop What to keep of each image before the resize: `NULL` (all of
#'   it), `"centre"` (the largest centred region of the target's shape), one
#'   number (a centred square of that side, e.g. 148) or `c(top, left, side)`
#'   / `c(top, left, height, width)` in pixels, counted from 0.
#' @param skip_unreadable Leave out the files that cannot be decoded, with a
#'   warning that counts them, instead of stopping at the first.
#' @param n Read only the first `n` images; `NULL` reads them all.
#' @param stream `TRUE` to read nothing now and return the Python
#'   `ImageFiles` for [train_vae()] to stream from disk (`n` must then be
#'   `NULL`).
#' @param split `"train"`, `"valid"`, `"test"` or `"all"`.
#' @return A list: `images` (double array `n x height x width x channels`,
#'   pixels in `[0, 1]`), `files` (their paths) and, for a folder, `labels` (a
#'   factor of class-folder names, `NULL` without classes), for CelebA
#'   `attributes` (a data.frame with one integer column of +1/-1 per attribute,
#'   one row per image, named by file). With `stream = TRUE`, Python's
#'   `ImageFiles` instead (a Python object; `length()` counts its images).
#' @export
#' @examplesIf vaelab_available()
#' folder <- write_celeba_layout(tempfile("faces"), 20, seed = 1)
#' faces <- load_celeba(folder, size = 32, split = "all", n = 8)
#' dim(faces$images)
#' head(faces$attributes)
#' photos <- load_image_folder(file.path(folder, "img_align_celeba"), size = 32, n = 4)
#' dim(photos$images)
#' # Streamed from disk while training, all of them:
#' streamed <- load_celeba(folder, size = 32, split = "all", stream = TRUE)
#' streamed
#' vae <- build_vae(latent_dim = 8, input_shape = c(32, 32, 3), likelihood = "gaussian")
#' train_vae(vae, streamed, epochs = 1, batch_size = 10, verbose = FALSE)
load_image_folder <- function(path, size = 64, channels = 3, crop = "centre",
                              skip_unreadable = FALSE, n = NULL, stream = FALSE) {
  call <- sys.call()
  read <- image_files("load_image_folder", path, size, crop, skip_unreadable, n, stream, call,
                      channels = as_int(channels, "channels", call))
  if (stream) {
    return(read$python)
  }
  files <- read$python
  classes <- reticulate::py_to_r(files$class_names)
  labels <- if (is.null(classes)) NULL else
    factor(classes[as.integer(reticulate::py_to_r(files$labels))[read$kept] + 1L],
           levels = classes)
  list(images = read$images, labels = labels, files = read$files)
}

#' @rdname load_image_folder
#' @export
load_celeba <- function(path, size = 64, split = "train", crop = c(40, 30, 138),
                        skip_unreadable = FALSE, n = NULL, stream = FALSE) {
  call <- sys.call()
  read <- image_files("load_celeba", path, size, crop, skip_unreadable, n, stream, call,
                      split = as_scalar(split, "split", call))
  if (stream) {
    return(read$python)
  }
  attributes <- attribute_frame(read$python$labels)
  list(images = read$images, attributes = attributes[read$kept, , drop = FALSE],
       files = read$files)
}

# The first `n` images of the Python ImageFiles that `fun` makes (see read_image_files()),
# with that object as `python`; only the object when streaming. The arguments both loaders
# share are converted here.
image_files <- function(fun, path, size, crop, skip_unreadable, n, stream, call, ...) {
  n <- as_count(n, call)
  as_stream(stream, n, call)
  files <- vaelab_call(fun, path = as_path(path, call = call),
                       size = as_ints(size, "size", call), crop = as_ints(crop, "crop", call),
                       skip_unreadable = as_scalar(skip_unreadable, "skip_unreadable", call),
                       ..., .convert = FALSE, .call = call)
  if (stream) {
    return(list(python = files))
  }
  c(read_image_files(files, n, call), list(python = files))
}

# The first `n` images (all for NULL) of a Python ImageFiles: `images`, the 1-based
# positions `kept` of the files read (all unless unreadable ones were skipped) and their
# `files`. Python's warnings (unreadable files left out) become R warnings.
read_image_files <- function(files, n, call) {
  total <- reticulate::py_len(files)
  count <- if (is.null(n)) total else min(n, total)
  warnings_py <- reticulate::import("warnings", convert = FALSE)
  catcher <- warnings_py$catch_warnings(record = TRUE)
  caught <- catcher$`__enter__`()
  warnings_py$simplefilter("always")
  read <- tryCatch(vaelab_method(files, "read_kept", as.list(seq_len(count) - 1L), .call = call),
                   finally = catcher$`__exit__`(NULL, NULL, NULL))
  messages <- reticulate::py_eval("lambda caught: [str(w.message) for w in caught]")
  for (message in unlist(messages(caught))) {
    warning(message, call. = FALSE)
  }
  kept <- as.integer(reticulate::py_to_r(reticulate::py_get_item(read, 1L))) + 1L
  paths <- unlist(reticulate::py_eval("lambda f: [str(p) for p in f.files]")(files))
  list(images = reticulate::py_to_r(reticulate::py_get_item(read, 0L)), kept = kept,
       files = paths[kept])
}

# A pandas DataFrame of +1/-1 attributes as an R data.frame of integers, rows named by file.
attribute_frame <- function(table) {
  values <- reticulate::py_to_r(table$to_numpy()$astype("int32"))
  values <- matrix(values, ncol = length(reticulate::py_to_r(table$columns$tolist())))
  frame <- as.data.frame(values)
  names(frame) <- reticulate::py_to_r(table$columns$tolist())
  rownames(frame) <- reticulate::py_to_r(table$index$tolist())
  frame
}

# `stream` is R's own argument too (Python's loaders always stream): TRUE or FALSE, and
# TRUE reads nothing, so it takes no `n`.
as_stream <- function(stream, n, call) {
  if (!is.logical(stream) || length(stream) != 1 || is.na(stream)) {
    input_error(sprintf("stream: expected TRUE or FALSE, got %s", describe(stream)), call)
  }
  if (stream && !is.null(n)) {
    input_error(paste0("n: with stream = TRUE no images are read into R (train_vae() reads ",
                       "them from disk), so n must be NULL; got ", n), call)
  }
}

# `n` is R's own argument (Python streams instead), so R checks it, before any file is read.
as_count <- function(n, call) {
  if (!is.null(n) && !(is_whole_number(n) && n >= 1)) {
    input_error(sprintf("n: expected NULL or one whole number >= 1, got %s", describe(n)), call)
  }
  if (is.null(n)) NULL else as.integer(n)
}
