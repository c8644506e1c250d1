"""Reference data for the demo shop's generated customers, addresses and parcels."""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

# fmt: off
FIRST_NAMES = (
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Oliver", "Sophia", "Elijah", "Isabella", "James",
    "Mia", "William", "Amelia", "Benjamin", "Harper", "Lucas", "Evelyn", "Henry", "Abigail",
    "Alexander", "Emily", "Daniel", "Ella", "Matthew", "Chloe", "Samuel", "Grace", "David",
    "Zoe", "Joseph", "Hannah", "Mateo", "Lucia", "Sofia", "Diego", "Camila", "Priya", "Arjun",
    "Ananya", "Rohan", "Aisha", "Omar", "Fatima", "Yusuf", "Mei", "Wei", "Hana", "Kenji",
    "Yuki", "Min-jun", "Ji-woo", "Chidi", "Amara", "Kwame", "Zanele", "Lukas", "Lena", "Jonas",
    "Clara", "Elise", "Louis", "Chloé", "Sven", "Freya", "Niamh", "Cian", "Siobhan", "Ewan",
)
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore",
    "Jackson", "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis", "Walker",
    "Young", "Allen", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Patel",
    "Shah", "Singh", "Kumar", "Khan", "Ahmed", "Ali", "Chen", "Wang", "Li", "Zhang", "Nguyen",
    "Tanaka", "Sato", "Kim", "Park", "Okafor", "Mensah", "Dlamini", "Müller", "Schmidt",
    "Schneider", "Fischer", "Dubois", "Moreau", "Laurent", "de Vries", "Jansen", "Bakker",
    "Murphy", "O'Brien", "Kelly", "Byrne", "Campbell", "MacDonald", "Evans", "Hughes",
)
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
STREET_NAMES = (
    "Maple", "Oak", "Cedar", "Elm", "Willow", "Birch", "Pine", "Chestnut", "Lake", "Hill",
    "Park", "River", "Church", "Mill", "Station", "Victoria", "King", "Queen", "Harbor", "Spring",
)
STREET_SUFFIXES = ("Street", "Avenue", "Road", "Lane", "Drive", "Close", "Way", "Terrace")
GERMAN_STREETS = ("Linden", "Berg", "Garten", "Schiller", "Goethe", "Bahnhof", "Kirch", "Wald")
FRENCH_STREETS = (
    "de la Paix", "Victor Hugo", "des Lilas", "de la République", "Pasteur", "des Écoles",
)
DUTCH_STREETS = ("Kerk", "Molen", "Linden", "Prinsen", "Heren", "Keizers", "Dorp", "Beuk")
# fmt: on
CARRIER_TRANSIT_DAYS: dict[str, tuple[int, int]] = {
    "USPS": (3, 6),
    "UPS": (2, 5),
    "FedEx": (2, 4),
    "DHL": (2, 5),
    "Royal Mail": (1, 3),
    "DPD": (1, 3),
    "Evri": (2, 4),
    "GLS": (2, 4),
}


@dataclass(frozen=True, slots=True)
class City:
    """A city customers live in, with the region it belongs to and its postcode prefix."""

    name: str
    region: str
    postcode_prefix: str


@dataclass(frozen=True, slots=True)
class Country:
    """A country the shop ships to: share of customers, cities, carriers and formats."""

    code: str
    weight: int
    street_style: str  # "en", "de", "fr" or "nl": how a street address is written
    cities: tuple[City, ...]
    carriers: tuple[str, ...]


# fmt: off
COUNTRIES = (
    Country("US", 45, "en", (
        City("New York", "New York", "100"), City("Los Angeles", "California", "900"),
        City("Chicago", "Illinois", "606"), City("Houston", "Texas", "770"),
        City("Seattle", "Washington", "981"), City("Denver", "Colorado", "802"),
        City("Boston", "Massachusetts", "021"), City("Atlanta", "Georgia", "303"),
        City("Miami", "Florida", "331"), City("Austin", "Texas", "787"),
        City("Portland", "Oregon", "972"), City("Minneapolis", "Minnesota", "554"),
    ), ("UPS", "FedEx", "USPS")),
    Country("CA", 9, "en", (
        City("Toronto", "Ontario", "M5V"), City("Vancouver", "British Columbia", "V6B"),
        City("Montreal", "Quebec", "H2X"), City("Calgary", "Alberta", "T2P"),
        City("Ottawa", "Ontario", "K1P"),
    ), ("UPS", "FedEx", "DHL")),
    Country("GB", 16, "en", (
        City("London", "England", "SW1A"), City("Manchester", "England", "M1"),
        City("Birmingham", "England", "B1"), City("Leeds", "England", "LS1"),
        City("Bristol", "England", "BS1"), City("Glasgow", "Scotland", "G1"),
        City("Edinburgh", "Scotland", "EH1"), City("Cardiff", "Wales", "CF10"),
        City("Belfast", "Northern Ireland", "BT1"),
    ), ("Royal Mail", "DPD", "Evri", "DHL")),
    Country("DE", 8, "de", (
        City("Berlin", "Berlin", "10"), City("Hamburg", "Hamburg", "20"),
        City("München", "Bavaria", "80"), City("Köln", "North Rhine-Westphalia", "50"),
        City("Frankfurt am Main", "Hesse", "60"),
    ), ("DHL", "DPD", "GLS")),
    Country("FR", 6, "fr", (
        City("Paris", "Île-de-France", "750"), City("Lyon", "Auvergne-Rhône-Alpes", "690"),
        City("Marseille", "Provence-Alpes-Côte d'Azur", "130"),
        City("Bordeaux", "Nouvelle-Aquitaine", "330"),
    ), ("DPD", "GLS", "UPS")),
    Country("NL", 5, "nl", (
        City("Amsterdam", "North Holland", "10"), City("Rotterdam", "South Holland", "30"),
        City("Utrecht", "Utrecht", "35"),
    ), ("DHL", "GLS", "DPD")),
    Country("IE", 5, "en", (
        City("Dublin", "Leinster", "D02"), City("Cork", "Munster", "T12"),
        City("Galway", "Connacht", "H91"),
    ), ("DPD", "DHL", "UPS")),
    Country("AU", 6, "en", (
        City("Sydney", "New South Wales", "20"), City("Melbourne", "Victoria", "30"),
        City("Brisbane", "Queensland", "40"), City("Perth", "Western Australia", "60"),
    ), ("DHL", "FedEx", "UPS")),
)
# fmt: on
COUNTRY_BY_CODE = {country.code: country for country in COUNTRIES}


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(count))


def _letters(rng: random.Random, count: int, alphabet: str = string.ascii_uppercase) -> str:
    return "".join(rng.choice(alphabet) for _ in range(count))


def postcode(rng: random.Random, country: str, city: City) -> str:
    """Return a well-formed postcode of ``city`` (it passes ``normalise_address``)."""
    prefix = city.postcode_prefix
    if country == "US":
        return prefix + _digits(rng, 2)
    if country == "CA":
        letter = _letters(rng, 1, "ABCEGHJKLMNPRSTVXY")
        return f"{prefix} {rng.randint(1, 9)}{letter}{_digits(rng, 1)}"
    if country == "GB":
        return f"{prefix} {rng.randint(1, 9)}{_letters(rng, 2, 'ABDEFGHJLNPQRSTUWXYZ')}"
    if country in ("DE", "FR"):
        return prefix + _digits(rng, 5 - len(prefix))
    if country == "NL":
        return f"{prefix}{_digits(rng, 2)} {_letters(rng, 2, 'ABCDEGHJKLMNPRSTVWXZ')}"
    if country == "IE":
        return f"{prefix} {_letters(rng, 1, 'ACDEFHKNPRTVWXY')}{_digits(rng, 3)}"
    return prefix + _digits(rng, 2)  # AU


def street_line(rng: random.Random, style: str) -> str:
    """Return a first address line written the way the country writes it."""
    number = rng.randint(1, 240)
    if style == "de":
        return f"{rng.choice(GERMAN_STREETS)}straße {number}"
    if style == "fr":
        return f"{number} rue {rng.choice(FRENCH_STREETS)}"
    if style == "nl":
        return f"{rng.choice(DUTCH_STREETS)}straat {number}"
    return f"{number} {rng.choice(STREET_NAMES)} {rng.choice(STREET_SUFFIXES)}"


def phone(rng: random.Random, country: str) -> str:
    """Return a phone number in a range reserved for fiction where the country has one."""
    if country in ("US", "CA"):
        return f"+1 {rng.randint(201, 989)} 555 01{_digits(rng, 2)}"
    if country == "GB":
        return f"+44 7700 900{_digits(rng, 3)}"
    if country == "AU":
        return f"+61 491 570 {rng.randint(6, 9)}{_digits(rng, 2)}"
    prefixes = {"DE": "+49 151", "FR": "+33 6", "NL": "+31 6", "IE": "+353 85"}
    return f"{prefixes[country]} {_digits(rng, 3)} {_digits(rng, 4)}"


def tracking_number(rng: random.Random, carrier: str) -> str:
    """Return a tracking number shaped like the carrier's."""
    alnum = string.ascii_uppercase + string.digits
    formats = {
        "UPS": lambda: "1Z" + _letters(rng, 6, alnum) + _digits(rng, 10),
        "FedEx": lambda: _digits(rng, 12),
        "USPS": lambda: "9400" + _digits(rng, 18),
        "DHL": lambda: _digits(rng, 10),
        "Royal Mail": lambda: _letters(rng, 2) + _digits(rng, 9) + "GB",
        "DPD": lambda: _digits(rng, 14),
        "Evri": lambda: "H" + _letters(rng, 15, alnum),
        "GLS": lambda: _digits(rng, 11),
    }
    return formats[carrier]()


RETURN_REASONS = (
    "Too small",
    "Too large",
    "Not as described",
    "Changed my mind",
    "Arrived damaged",
    "Wrong item sent",
    "Better price elsewhere",
    "Quality not as expected",
)
CANCEL_REASONS = ("Ordered by mistake", "Found it cheaper", "No longer needed", "Delivery too slow")
COMPLAINT_TEMPLATES: dict[str, tuple[str, ...]] = {
    "late_delivery": (
        "Order #{order} was due on {eta} and still hasn't arrived. Tracking hasn't moved in days.",
        "My order with the {product} is late. I needed it for a trip and nobody tells me anything.",
        "The {carrier} tracking for order #{order} just says delayed. Where is my parcel?",
    ),
    "damaged_item": (
        "The {product} from order #{order} arrived with a cracked case and a crushed box.",
        "My {product} was damaged in transit; the packaging was torn open.",
    ),
    "wrong_item": ("I ordered the {product} but received something completely different.",),
    "missing_item": (
        "Order #{order} arrived without the {product}, although I was charged for it.",
        "Tracking says delivered but the {product} never reached me.",
    ),
    "refund_delay": (
        "You received my return for order #{order} ages ago and I still have no refund.",
        "Still waiting for the refund on my {product}. This is taking far too long.",
    ),
    "billing": (
        "I cancelled order #{order} but was still charged.",
        "I was charged twice for order #{order}.",
    ),
    "service": (
        "I waited on chat for 40 minutes and then got disconnected.",
        "Nobody answered my two emails about my account.",
    ),
    "other": ("Your checkout page keeps logging me out before I can pay.",),
}
