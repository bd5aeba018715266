"""Word lists for made-up people and products (no real names, no real brands)."""

from __future__ import annotations

#: Syllables for person names and brands: they combine into invented words
#: such as "Kavo Tenbelra" rather than real people.
SYLLABLES: tuple[str, ...] = (
    "ka", "lo", "mi", "ra", "ten", "vo", "zu", "bel", "dor", "fin", "gal", "ha",
    "ix", "jo", "ne", "pu", "qui", "sa", "tor", "wen", "yl", "ost", "bre", "cal",
)  # fmt: skip

ADJECTIVES: tuple[str, ...] = (
    "Classic", "Compact", "Deluxe", "Essential", "Everyday", "Lite", "Max", "Mini",
    "Nova", "Prime", "Pro", "Pure", "Smart", "Swift", "Ultra", "Urban",
)  # fmt: skip

#: Product nouns per category; keys are the product categories.
NOUNS: dict[str, tuple[str, ...]] = {
    "electronics": ("Headphones", "Charger", "Speaker", "Monitor", "Keyboard", "Camera",
                    "Tablet", "Router", "Smartwatch", "Earbuds"),
    "home": ("Lamp", "Blender", "Kettle", "Cushion", "Rug", "Vase", "Toaster", "Shelf"),
    "apparel": ("Jacket", "T-Shirt", "Sneakers", "Hoodie", "Jeans", "Scarf", "Cap", "Dress"),
    "beauty": ("Serum", "Lotion", "Shampoo", "Lipstick", "Cleanser", "Perfume"),
    "sports": ("Yoga Mat", "Dumbbell", "Racket", "Bottle", "Backpack", "Helmet", "Ball"),
    "toys": ("Puzzle", "Robot Kit", "Plush Bear", "Building Set", "Board Game", "Kite"),
    "grocery": ("Coffee", "Olive Oil", "Granola", "Tea", "Pasta", "Chocolate", "Honey"),
    "books": ("Cookbook", "Novel", "Atlas", "Field Guide", "Notebook", "Biography"),
}  # fmt: skip
