"""The training mode a message asks for, as the search reads it."""

import pytest

from orientation.training import training_mode_asked


@pytest.mark.parametrize(
    "text, tagged, asked",
    [
        (
            "je veux faire un cap cuisine a chartres mais pas en alternance, en lycée",
            ["apprenticeship"],
            "initial_training",
        ),
        ("un BTS sans apprentissage", ["apprenticeship"], "initial_training"),
        ("pas d'alternance pour moi", [], "initial_training"),
        # An adult retraining in apprenticeship: the apprenticeship offer is what is searched.
        (
            "reconversion a 30 ans, cap boulanger en alternance",
            ["continuing_education", "apprenticeship"],
            "apprenticeship",
        ),
        ("un BTS en alternance à Lyon", ["apprenticeship"], "apprenticeship"),
        ("la VAE pour un CAP", ["vae"], "vae"),
        ("un CAP à Lyon", [], None),
    ],
)
def test_the_mode_asked(text, tagged, asked):
    assert training_mode_asked(text, tagged) == asked
