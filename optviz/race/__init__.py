"""The training race: Fashion-MNIST (:mod:`~optviz.race.data`), the article's network
(:mod:`~optviz.race.mlp`), the race itself (:mod:`~optviz.race.training`), races as background
jobs in a store (:mod:`~optviz.race.jobs`), and the article's conclusions checked on a race
(:mod:`~optviz.race.conclusions`)."""
