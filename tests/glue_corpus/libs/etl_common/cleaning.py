"""Value clean-up shared by the team's Glue jobs."""

REGION_NAMES = {"EU": "Europe", "US": "United States", "APAC": "Asia Pacific"}


def region_name(code):
    return REGION_NAMES.get(code, "Unknown")


def cents(amount):
    return int(round(float(amount) * 100))
