"""Fixed vocabularies shared by every region: smart sectors and technology domains.

Sector keys are global so that a digital SME's experience with, say, ``marine``
clients means the same thing in every partner region (cross-region projects).
The mapping from each region's RIS3 wording to these keys lives with the
region registry (calibration/regions.toml).
"""

SECTORS: tuple[str, ...] = (
    "agrifood",
    "manufacturing",
    "automotive",
    "chemicals_materials",
    "marine",
    "health",
    "energy",
    "tourism",
    "creative",
    "bioeconomy_wood",
    "logistics",
    "fintech",
)
"""Smart-specialisation client sectors (global keys; index = sector id in arrays)."""

DOMAINS: tuple[str, ...] = (
    "data_ai",
    "iot_sensors",
    "cloud_software",
    "cybersecurity",
    "automation_robotics",
    "ebusiness",
)
"""Technology domains in which a digital SME has a capability c[k] in [0, 1]."""

N_SECTORS = len(SECTORS)
N_DOMAINS = len(DOMAINS)

SECTOR_ID = {name: i for i, name in enumerate(SECTORS)}
DOMAIN_ID = {name: i for i, name in enumerate(DOMAINS)}
