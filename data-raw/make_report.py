"""Regenerate the reproduction report (docs/reproduction/) from the shipped weights.

    python data-raw/make_report.py --data ../shared/data/mnist     # or: make report

Evaluates the shipped plain VAE and DFC VAE, and the conditional models when they are
shipped, on the 10,000 MNIST test images (and 10,000 prior samples of each against them,
with training images as the floor), and the face models when they are shipped on their
synthetic test faces, and writes report.md, metrics.json and the figures. The numbers are
recomputed every time; the test suite checks a sample of them against the shipped weights.
"""

import argparse
from pathlib import Path

import vaelab
from vaelab.distances import generation_scores
from vaelab.pretrained import available_pretrained, manifest
from vaelab.report import DFC_CLAIM, write_report

OUT = Path(__file__).resolve().parents[1] / "docs" / "reproduction"
GAN = "VAE-GAN (conditional)"
MODELS = {"plain VAE": "vae", "DFC VAE": "dfc_vae", "conditional VAE": "cvae", GAN: "cvaegan"}
# The face models (data-raw/train_faces.py): the VAEs by display name, and their evaluator.
FACE_MODELS = {"plain VAE": "faces_vae", "DFC VAE": "faces_dfc_vae"}
FACES = ("faces_classifier", "faces_evaluator", *FACE_MODELS.values())

ARTICLE = """\
## What the sources report

Krasser's article reports paired t-tests of T = 364.80 (digits other than 1) and 78.94
(digit 1), p = 0.00. Those are original vs plain VAE, although its text concludes that the
DFC VAE is less blurry than the plain VAE; here every pair is tested. On the article's own
published models, the pair its text means gives t(DFC, plain) = 232.0 and 72.9, and mean
Laplacian variances (digits other than 1) of 0.167 (original), 0.035 (plain) and 0.068 (DFC).

## Data and training

{data}

{header}
| --- | --- | --- | --- | --- | --- | --- |
{rows}
"""


HEADER = ("| model | loss recipe | epochs trained (source recipe) | batch | seed | "
          "training time (s) | versions |")


def provenance() -> str:
    entries = {name: e for name, e in manifest().items() if name not in FACES}
    data = next(iter(entries.values()))["data"]
    return ARTICLE.format(data=data, header=HEADER, rows=training_rows(entries))


def training_rows(entries) -> str:
    """The training table's rows, one per manifest entry."""
    rows = []
    for name, e in entries.items():
        recipe = e.get("recipe", "classifier")
        versions = ", ".join(f"{k} {v}" for k, v in e["versions"].items())
        epochs = f"{e['epochs']} ({e.get('recipe_epochs', e['epochs'])})"
        rows.append(f"| {name} | {recipe} | {epochs} | {e['batch_size']} | {e['seed']} | "
                    f"{e.get('train_seconds', '-')} | {versions} |")
    return "\n".join(rows)


def faces_setup():
    """The arguments of vaelab.evaluate_faces for the shipped face models and their notes,
    or (None, "") when they are not all shipped."""
    entries = manifest()
    if not all(name in entries for name in FACES):
        return None, ""
    test, spec = entries["faces_vae"]["test_faces"], entries["faces_vae"]["vector_faces"]
    images, attributes = vaelab.synthetic_faces(test["n"], seed=test["seed"])
    models = {label: vaelab.load_pretrained(name) for label, name in FACE_MODELS.items()}
    vector_faces = vaelab.synthetic_faces(spec["n"], seed=spec["seed"])
    setup = {"models": models, "evaluator": vaelab.load_pretrained("faces_evaluator"),
             "images": images, "attributes": attributes,
             "vectors": {label: vaelab.attribute_vectors(model, *vector_faces)
                         for label, model in models.items()},
             "strengths": entries["faces_vae"]["metrics"]["strengths"]}
    faces = {name: entries[name] for name in FACES}
    size = sum(e["bytes"] for e in faces.values()) / 1e6
    notes = (f"{entries['faces_vae']['data']} The plain VAE is faces_vae, the DFC VAE "
             f"faces_dfc_vae (perceptual model faces_classifier, layers "
             f"{', '.join(entries['faces_dfc_vae']['layers'])}); faces_evaluator reads the "
             f"attributes. The four weight files take {size:.1f} MB "
             f"({entries['faces_vae']['dtype']}). The DFC VAE keeps the features that the "
             "plain VAE blurs away, but its reconstructions carry a fine grid of artefacts "
             "(its loss compares features only, never pixels), which the Laplacian variance "
             f"counts as sharpness too: see the figures.\n\n{HEADER}\n"
             "| --- | --- | --- | --- | --- | --- | --- |\n" + training_rows(faces))
    return setup, notes


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=None, help="MNIST folder (default: $VAELAB_DATA)")
    p.add_argument("--out", default=str(OUT), help=f"output folder (default: {OUT})")
    args = p.parse_args()
    (x_train, _), (x_test, y_test) = vaelab.load_mnist(args.data)
    shipped = available_pretrained()
    models = {label: vaelab.load_pretrained(name) for label, name in MODELS.items()
              if name in shipped}
    claims, title = DFC_CLAIM, "plain VAE vs DFC VAE"
    if GAN in models:  # the learned similarity against both
        claims, title = DFC_CLAIM + ((GAN, "plain VAE"), (GAN, "DFC VAE")), \
            "plain VAE, DFC VAE and VAE-GAN"
    generation = generation_scores(models, x_test, n=len(x_test), reference=x_train)
    faces, faces_notes = faces_setup()
    path = write_report(args.out, models, vaelab.load_pretrained("classifier"), x_test, y_test,
                        manifold_model=vaelab.load_pretrained("vae_2d"),
                        title=f"Reproduction report: {title} on MNIST", notes=provenance(),
                        claims=claims, generation=generation, faces=faces,
                        faces_notes=faces_notes)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
