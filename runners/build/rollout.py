"""Rolling out the always-on runner service: the runner-service stack with
the pushed image, then what ECS says about the deployment.

The service's deployment circuit breaker rolls a failing deployment back
(tasks that never become healthy); CloudFormation then fails the update and
rolls the stack back. The stack's events say only that the service did not
stabilize, so a failure is reported with the service's own recent events,
which name the cause (an image that cannot be pulled, a task that exits, a
health check that fails).
"""

from __future__ import annotations

from typing import Any, Callable

from runners.build import stacks as stack_ops
from runners.build.runner import TaskError
from runners.build.settings import BuildContext

Say = Callable[[str], None]

SERVICE_STACK = "runner-service"
SERVICE_EVENTS_SHOWN = 5


def service_of(ctx: BuildContext) -> tuple[str, str] | None:
    """(cluster, service ARN) of the runner-service stack, if it exists."""
    clusters = stack_ops.resources_of(ctx, SERVICE_STACK, "AWS::ECS::Cluster")
    services = stack_ops.resources_of(ctx, SERVICE_STACK, "AWS::ECS::Service")
    if not clusters or not services:
        return None
    return clusters[0][2], services[0][2]


def describe_service(ecs: Any, cluster: str, service: str) -> dict[str, Any] | None:
    found = ecs.describe_services(cluster=cluster, services=[service]).get("services", [])
    return found[0] if found else None


def recent_events(service: dict[str, Any], count: int = SERVICE_EVENTS_SHOWN) -> list[str]:
    """The service's newest events, newest first (ECS lists them so)."""
    return [f"{e['createdAt']:%H:%M:%S} {e['message']}" if hasattr(e.get("createdAt"), "strftime") else str(e["message"])
            for e in service.get("events", [])[:count]]


def report(service: dict[str, Any], say: Say) -> None:
    primary = next((d for d in service.get("deployments", []) if d.get("status") == "PRIMARY"), {})
    say(f"service {service['serviceName']}: {service.get('status')}, {service.get('runningCount', 0)}/{service.get('desiredCount', 0)} tasks running"
        f", task definition {str(service.get('taskDefinition', '')).rsplit('/', 1)[-1]}"
        + (f", rollout {primary['rolloutState']}" if primary.get("rolloutState") else ""))


def rollout(ctx: BuildContext, say: Say) -> dict[str, Any] | None:
    """Create or update the runner-service stack (its ImageUri is the pushed
    image of these sources) and wait; report the service, or fail with its events."""
    try:
        result = stack_ops.deploy(ctx, SERVICE_STACK, say)
    except TaskError as exc:
        raise TaskError(_with_service_events(ctx, str(exc))) from None
    found = service_of(ctx)
    service = describe_service(ctx.client("ecs"), *found) if found else None
    if service is not None:
        report(service, say)
    return result


def _with_service_events(ctx: BuildContext, message: str) -> str:
    try:
        found = service_of(ctx)
        service = describe_service(ctx.client("ecs"), *found) if found else None
    except Exception as exc:  # noqa: BLE001 - the stack's failure is the news; the events only explain it
        return f"{message}\n  (the service's events could not be read: {exc})"
    events = recent_events(service) if service else []
    if not events:
        return message
    return "\n".join([message, "  the service's latest events (newest first):", *(f"    {line}" for line in events)])
