"""``workbench features list|show|training-set|materialize``: the project's feature sets (docs/features.md)."""

from __future__ import annotations

import argparse

from workbench.cli.output import print_json, print_table

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    features = subparsers.add_parser(
        "features", help="feature sets declared in features/: list, show, training-set, materialize"
    )
    sub = features.add_subparsers(dest="features_command", metavar="ACTION", required=True)

    listing = sub.add_parser("list", help="the project's feature sets with their versions")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_list)

    show = sub.add_parser("show", help="one feature set: version, entity, sources, features, TTLs")
    show.add_argument("name")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=_show)

    training = sub.add_parser(
        "training-set",
        help="the point-in-time training set of an entity file (entity key + time per row), as Parquet",
    )
    training.add_argument("name")
    training.add_argument("entities", help="a Parquet file or folder of entity rows")
    training.add_argument("--output", "-o", metavar="FILE", required=True)
    training.add_argument("--at", metavar="COLUMN", help="the entity rows' time column (default: the set's `at`)")
    training.add_argument("--json", action="store_true")
    training.set_defaults(handler=_training_set)

    materialize = sub.add_parser(
        "materialize",
        help="write the offline store (a Parquet dataset) and the online store (latest value per entity)",
    )
    materialize.add_argument("name")
    materialize.add_argument("--until", metavar="TS", help="only events strictly before this ISO time (default: now)")
    materialize.add_argument("--output", metavar="DIR", help="the offline store's folder (default: data/features/NAME)")
    materialize.add_argument("--json", action="store_true")
    materialize.set_defaults(handler=_materialize)


def _list(args: argparse.Namespace) -> int:
    from workbench.features.service import list_feature_sets
    from workbench.project.config import load_project

    sets = list_feature_sets(load_project())
    if args.json:
        print_json(sets)
        return 0
    rows = [
        (s["name"], s["version"][:12], s["entity"], len(s["sources"]), sum(len(x["features"]) for x in s["sources"]))
        for s in sets
    ]
    print_table(["name", "version", "entity", "sources", "features"], rows, empty="(no feature sets in features/)")
    return 0


def _show(args: argparse.Namespace) -> int:
    from workbench.features.catalog import feature_sets, get_feature_set
    from workbench.features.service import describe
    from workbench.project.config import load_project

    project = load_project()
    feature_set = get_feature_set(project, args.name)
    info = describe(feature_set, feature_sets(project)[args.name].module)
    if args.json:
        print_json(info)
        return 0
    print(f"{info['name']}  version {info['version']}")
    print(f"  module      {info['module']}")
    print(f"  entity      {info['entity']}   event time {info['event_time']}   at {info['at']}")
    if info["description"]:
        print(f"  {info['description']}")
    for source in info["sources"]:
        ttl = source["ttl"] or "none"
        print(f"  source {source['name']}: {source['path']}  (event time {source['event_time']}, ttl {ttl})")
        if source["transform"]:
            print(f"    transform {source['transform']}")
        for feature in source["features"]:
            print(f"    - {feature}")
    return 0


def _training_set(args: argparse.Namespace) -> int:
    from workbench.features.service import write_training_set
    from workbench.project.config import load_project

    result = write_training_set(load_project(), args.name, args.entities, args.output, at=args.at)
    if args.json:
        print_json(result)
        return 0
    print(
        f"Wrote {result['output']}: {result['rows']:,} rows with feature set {result['name']} "
        f"(version {result['version'][:12]}), as of strictly before each row's time."
    )
    return 0


def _materialize(args: argparse.Namespace) -> int:
    from workbench.features.materialize import materialize, parse_until
    from workbench.project.workspace import open_workspace

    result = materialize(open_workspace(), args.name, until=parse_until(args.until), output=args.output)
    if args.json:
        print_json(result.to_dict())
        return 0
    print(
        f"Materialized {result.name} (version {result.version[:12]}) until {result.until.isoformat()}: "
        f"{result.offline_rows:,} rows in the offline store {result.offline}, "
        f"{result.online_rows:,} entities in the online store."
    )
    return 0
