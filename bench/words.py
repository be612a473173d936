"""Names, topics and seeded filler text for the generated data."""

from __future__ import annotations

import random

FIRST = (
    "Amara Ben Chloe Daniel Esther Farid Grace Hugo Isla Jonah Kiran Lena Marcus Nadia Oliver Priya Quentin Rosa "
    "Samuel Tara Umar Vera William Xinyi Yusuf Zoe Aisha Bruno Carys Dmitri Elin Felix Gita Hamid Ines Jakub"
).split()
LAST = (
    "Hart Okafor Lindqvist Mercer Nwosu Haddad Whitfield Adebayo Brennan Castillo Dunmore Evans Fitzgerald Goldberg "
    "Hussain Ivanova Jensen Kowalski Lambert Moreau Nakamura Patel Quinn Rahman Schmidt Thompson Usman Varga Walsh"
).split()
#: Topics beside the demo's: a programme's vocabulary has a few dozen terms, however large it grows.
TOPICS = [
    "Housing",
    "Transport",
    "Education",
    "Skills",
    "Trade policy",
    "Defence",
    "Justice",
    "Local government",
    "Social care",
    "Welfare",
    "Water",
    "Agriculture",
    "Food security",
    "Biodiversity",
    "Space",
    "Quantum",
    "Semiconductors",
    "Cyber security",
    "Online safety",
    "Competition",
    "Financial services",
    "Pensions",
    "Migration",
    "Public health",
    "Mental health",
    "Genomics",
    "Net zero",
    "Nuclear",
    "Behavioural science",
    "Evaluation",
]
WORDS = (
    "evidence policy government data regulation services citizens innovation funding delivery outcomes "
    "accountability transparency budget reform strategy digital platform standards markets incentives "
    "procurement devolution capability research infrastructure risk assurance ethics climate energy health "
    "housing transport education welfare trust privacy inclusion security resilience productivity skills"
).split()


def sentence(rng: random.Random, words: int = 12) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def paragraph(rng: random.Random, sentences: int = 4) -> str:
    return " ".join(sentence(rng, rng.randint(8, 16)) for _ in range(sentences))
