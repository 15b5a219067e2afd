"""The catalogue: products with German and English names, prices and latent taste factors."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from nomagic.simulate.common import canonical, choice_index, ids, rng_for, table
from nomagic.simulate.config import WorldParams

#: (category, Kategorie, median price, items as (english, german))
CATEGORIES: tuple[tuple[str, str, float, tuple[tuple[str, str], ...]], ...] = (
    (
        "shoes",
        "Schuhe",
        95.0,
        (
            ("Sneaker", "Sneaker"),
            ("Boot", "Stiefel"),
            ("Loafer", "Loafer"),
            ("Sandal", "Sandale"),
            ("Running Shoe", "Laufschuh"),
        ),
    ),
    (
        "jackets",
        "Jacken",
        150.0,
        (
            ("Rain Jacket", "Regenjacke"),
            ("Down Jacket", "Daunenjacke"),
            ("Denim Jacket", "Jeansjacke"),
            ("Softshell Jacket", "Softshelljacke"),
        ),
    ),
    (
        "tops",
        "Oberteile",
        39.0,
        (
            ("T-Shirt", "T-Shirt"),
            ("Shirt", "Hemd"),
            ("Polo", "Polo"),
            ("Hoodie", "Kapuzenpulli"),
            ("Sweater", "Pullover"),
        ),
    ),
    (
        "trousers",
        "Hosen",
        75.0,
        (("Jeans", "Jeans"), ("Chinos", "Chino"), ("Shorts", "Shorts"), ("Joggers", "Jogginghose")),
    ),
    (
        "accessories",
        "Accessoires",
        24.0,
        (
            ("Beanie", "Mütze"),
            ("Scarf", "Schal"),
            ("Belt", "Gürtel"),
            ("Gloves", "Handschuhe"),
            ("Socks 3-Pack", "Socken 3er-Pack"),
        ),
    ),
    (
        "bags",
        "Taschen",
        79.0,
        (("Backpack", "Rucksack"), ("Tote", "Shopper"), ("Weekender", "Reisetasche"), ("Hip Bag", "Gürteltasche")),
    ),
    (
        "sport",
        "Sport",
        35.0,
        (
            ("Yoga Mat", "Yogamatte"),
            ("Bottle", "Trinkflasche"),
            ("Training Top", "Trainingsshirt"),
            ("Leggings", "Leggings"),
        ),
    ),
    (
        "home",
        "Wohnen",
        29.0,
        (("Blanket", "Decke"), ("Cushion Cover", "Kissenbezug"), ("Candle", "Kerze"), ("Mug", "Tasse")),
    ),
)
CATEGORY_SHARES = np.array([0.16, 0.10, 0.18, 0.13, 0.13, 0.09, 0.11, 0.10])

LINES = ("Fjord", "Alpen", "Linden", "Hafen", "Düne", "Birke", "Kiesel", "Nebel", "Sturm", "Heide", "Polar", "Moor")
COLOURS = (
    ("black", "schwarz"),
    ("navy", "marine"),
    ("olive", "oliv"),
    ("sand", "sand"),
    ("grey", "grau"),
    ("rust", "rost"),
    ("white", "weiß"),
    ("forest green", "tannengrün"),
)
MATERIALS = (
    ("organic cotton", "Bio-Baumwolle"),
    ("recycled polyester", "recyceltem Polyester"),
    ("leather", "Leder"),
    ("merino wool", "Merinowolle"),
    ("linen", "Leinen"),
)
FEATURES = (
    ("Easy to care for and machine washable.", "Pflegeleicht und waschmaschinenfest."),
    ("Designed in Hamburg, made to last.", "Entworfen in Hamburg, gemacht für lange Zeit."),
    ("Light, robust and comfortable all day.", "Leicht, robust und den ganzen Tag bequem."),
    ("A timeless piece for every season.", "Ein zeitloses Stück für jede Jahreszeit."),
    ("Fair production, certified supply chain.", "Faire Produktion, zertifizierte Lieferkette."),
)


@dataclass
class Catalogue:
    """The products and what the rest of the simulator needs of them."""

    product_id: pa.Array
    category: np.ndarray  # category index per product
    price: np.ndarray
    factors: np.ndarray  # (products, taste_dims)
    popularity: np.ndarray
    products: pa.Table  # canonical table
    images: pa.Table  # canonical table
    truth: pa.Table  # truth_products

    @property
    def size(self) -> int:
        return len(self.price)


def make_catalogue(seed: int, params: WorldParams) -> Catalogue:
    """Draw the catalogue (its size does not depend on the number of customers)."""
    rng = rng_for(seed, "products")
    n, k = params.n_products, params.taste_dims
    cat = choice_index(rng, n, CATEGORY_SHARES)
    centres = rng.normal(0.0, 1.0, (len(CATEGORIES), k))
    factors = centres[cat] + rng.normal(0.0, 0.6, (n, k))
    popularity = rng.normal(0.0, 0.8, n)
    median = np.array([c[2] for c in CATEGORIES])[cat]
    price = np.maximum(np.round(median * np.exp(rng.normal(0.0, 0.35, n))) - 0.05, 2.95)
    item = np.array([rng.integers(len(CATEGORIES[c][3])) for c in cat])
    line = rng.integers(len(LINES), size=n)
    colour = rng.integers(len(COLOURS), size=n)
    material = rng.integers(len(MATERIALS), size=n)
    feature = rng.integers(len(FEATURES), size=n)
    in_stock = rng.random(n) < 0.93

    names_en, names_de, desc_en, desc_de = [], [], [], []
    for j in range(n):
        en, de = CATEGORIES[cat[j]][3][item[j]]
        ln = LINES[line[j]]
        col_en, col_de = COLOURS[colour[j]]
        mat_en, mat_de = MATERIALS[material[j]]
        feat_en, feat_de = FEATURES[feature[j]]
        names_en.append(f"{ln} {en}, {col_en}")
        names_de.append(f"{ln} {de}, {col_de}")
        desc_en.append(f"{en} from our {ln} line in {col_en}, made of {mat_en}. {feat_en}")
        desc_de.append(f"{de} aus unserer {ln}-Linie in {col_de}, aus {mat_de}. {feat_de}")

    pid = ids("P", np.arange(1, n + 1), width=5)
    categories = np.array([c[0] for c in CATEGORIES])[cat]
    uri = pa.array([f"sim://images/{p}.png" for p in pid.to_pylist()])
    products = canonical(
        "products",
        {
            "product_id": pid,
            "name": names_en,
            "category": categories,
            "price": price,
            "description": desc_en,
            "image_uri": uri,
            "in_stock": in_stock,
            "name_de": names_de,
            "description_de": desc_de,
            "category_de": np.array([c[1] for c in CATEGORIES])[cat],
        },
    )
    images = canonical(
        "images",
        {"image_id": ids("IMG", np.arange(1, n + 1), width=5), "uri": uri, "product_id": pid, "label": categories},
    )
    truth = table(
        {"product_id": pid, "popularity": popularity, **{f"factor_{d}": factors[:, d] for d in range(k)}},
    )
    return Catalogue(pid, cat, price, factors, popularity, products, images, truth)
