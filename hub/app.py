"""The hub's FastAPI app: `create_app(settings)`, with a lifespan that migrates the store, creates the
shared topics, and runs the outbox relay and the report consumer next to the API."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from hub.api import applications, audit, clusters, fleet, ops, tokens
from hub.api import errors as api_errors
from hub.api.deps import Services
from hub.audit.service import AuditService
from hub.auth.service import TokenService
from hub.autoupdate import api as autoupdate_api
from hub.autoupdate.service import AutoUpdateService
from hub.campaigns import api as campaign_api
from hub.campaigns.monitor import CampaignMonitor
from hub.campaigns.service import CampaignService
from hub.charts.binary import HelmNotFound
from hub.charts.renderer import HelmRenderer
from hub.dependencies.dispatcher import DependencyDispatcher
from hub.describe import api as describe_api
from hub.describe.service import DescribeService
from hub.diffs import api as diff_api
from hub.diffs.channel import DryRunChannel
from hub.diffs.service import DiffService, ensure_request_topics
from hub.drift import api as drift_api
from hub.drift.service import DriftService
from hub.fleetcode import api as fleetcode_api
from hub.fleetcode.service import sync_service
from hub.images import api as images_api
from hub.images.service import ImageService
from hub.images.store import count_clusters_running
from hub.kubeevents import api as kube_events_api
from hub.kubeevents.consumer import KubeEventConsumer
from hub.kubeevents.service import KubeEventService
from hub.metrics import HubMetrics
from hub.notifications import api as notification_api
from hub.notifications.deliverer import Deliverer
from hub.notifications.differs import ManifestSummaryDiffer
from hub.notifications.monitor import ReachabilityMonitor
from hub.notifications.notifier import Notifier
from hub.notifications.service import NotificationService
from hub.observability.collector import GaugeCollector
from hub.observability.deadletters import DeadLetterCounter
from hub.observability.routes import RequestTimer
from hub.policies import api as policies_api
from hub.policies.releases import ReleasePolicies
from hub.policies.service import PolicyService
from hub.relay import OutboxRelay
from hub.report_consumer import ReportConsumer
from hub.rollouts import api as rollout_api
from hub.rollouts.driver import RolloutDriver
from hub.rollouts.service import RolloutService, StrategyService
from hub.services.applications import ApplicationService
from hub.services.clusters import ClusterService
from hub.services.context import ServiceContext, utc_now
from hub.services.fleet import FleetService
from hub.services.reports import ReportService
from hub.settings import HubSettings
from hub.sources.service import SourceService
from hub.store.database import create_engine, migrate, reading_session_factory, session_factory
from hub.templates import api as template_api
from hub.templates.service import TemplateService
from hub.templates.sources import TemplateSources
from hub.topics import TopicManager
from schemas.v1.topics import shared_topic_specs

log = logging.getLogger(__name__)


async def _ensure_shared_topics(topics: TopicManager, settings: HubSettings, ready: asyncio.Event) -> None:
    # Kafka may come up after the hub: keep trying (with backoff) instead of refusing to start.
    await topics.ensure(shared_topic_specs(settings.report_partitions), give_up_after=None)
    ready.set()


def _spawn(tasks: list[asyncio.Task[None]], name: str, coroutine: Coroutine[Any, Any, None]) -> None:
    task = asyncio.create_task(coroutine, name=name)

    def done(finished: asyncio.Task[None]) -> None:
        if not finished.cancelled() and finished.exception() is not None:
            log.error("background task %s died", name, exc_info=finished.exception())

    task.add_done_callback(done)
    tasks.append(task)


def _helm(settings: HubSettings) -> HelmRenderer | None:
    """The renderer of charts and templates; None (charts refused with a 422 saying why) without a Helm."""
    try:
        return HelmRenderer.from_settings(settings)
    except HelmNotFound as error:
        log.warning("no Helm: chart and template applications will be refused (%s)", error)
        return None


def create_app(
    settings: HubSettings,
    registry: CollectorRegistry | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> FastAPI:
    metrics = HubMetrics(registry if registry is not None else CollectorRegistry())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url)
        await migrate(engine)
        topics = TopicManager(settings.kafka(), settings.topic_replication_factor)
        ctx = ServiceContext(session_factory(engine), settings, topics, clock, reading_session_factory(engine))
        reports = ReportService(ctx, metrics)
        kube_events = KubeEventService(
            ctx, keep=settings.kube_events_keep, max_age=timedelta(seconds=settings.kube_events_max_age_seconds)
        )
        templates = TemplateService(ctx)
        sources = SourceService(_helm(settings), TemplateSources(templates), clock=clock)
        rollouts = RolloutService(ctx, sources)
        # Live diffs: the deadline a spoke reads must be wall time, whatever clock the hub runs on.
        dry_runs = DryRunChannel(settings, topics, utc_now)
        deliveries_signal = asyncio.Event()
        hub_url = settings.notifications.hub_url or f"http://{settings.host}:{settings.port}"
        notifications = NotificationService(ctx, deliveries_signal, hub_url)
        policies = PolicyService(ctx)
        applications = ApplicationService(ctx, rollouts, sources, ReleasePolicies(policies))
        campaigns = CampaignService(ctx, applications, rollouts, count_clusters_running)
        strategies = StrategyService(ctx)
        app.state.engine = engine
        app.state.topics = topics
        app.state.context = ctx
        app.state.services = Services(
            clusters=ClusterService(ctx, sources),
            applications=applications,
            fleet=FleetService(ctx),
            reports=reports,
            tokens=TokenService(ctx),
            audit=AuditService(ctx),
            strategies=strategies,
            rollouts=rollouts,
            campaigns=campaigns,
            autoupdate=AutoUpdateService(ctx, applications, rollouts),
            metrics=metrics,
            diffs=DiffService(ctx, rollouts, dry_runs, applications),
            notifications=notifications,
            images=ImageService(ctx),
            settings=settings,
            drift=DriftService(ctx),
            kube_events=kube_events,
            describe=DescribeService(ctx, kube_events.max_age),
            templates=templates,
            policies=policies,
            fleet_code=sync_service(ctx, applications, strategies, notifications, templates, policies),
        )
        tasks: list[asyncio.Task[None]] = []
        topics_ready = asyncio.Event()
        _spawn(tasks, "shared-topics", _ensure_shared_topics(topics, settings, topics_ready))
        _spawn(tasks, "dry-run-replies", dry_runs.run(topics_ready))
        _spawn(tasks, "request-topics", ensure_request_topics(ctx, topics_ready))
        gauges = GaugeCollector(ctx, metrics, DeadLetterCounter(settings, topics), settings.metrics_interval_seconds)
        app.state.gauges = gauges
        _spawn(tasks, "gauges", gauges.run())
        if settings.relay_enabled:
            relay = OutboxRelay(ctx, topics, metrics)
            _spawn(tasks, "outbox-relay", relay.run())
        else:
            log.warning("outbox relay disabled: changes are committed but not published by this hub")
        if settings.rollouts_enabled:
            driver = RolloutDriver(rollouts, ctx.rollout_signal, clock, settings.rollout_poll_interval_seconds)
            _spawn(tasks, "rollout-driver", driver.run())
            _spawn(tasks, "campaign-monitor", CampaignMonitor(campaigns, settings.campaign_poll_interval_seconds).run())
        else:
            log.warning("rollout driver disabled: runs move only when another hub drives them")
        # Safe on every replica (it decides under the placements lock): no switch of its own.
        dependencies = DependencyDispatcher(ctx, ctx.dependencies_signal, settings.dependencies_poll_interval_seconds)
        _spawn(tasks, "dependency-dispatcher", dependencies.run())
        if settings.reports_enabled:
            _spawn(tasks, "report-consumer", ReportConsumer(settings, reports, metrics, topics_ready).run())
        if settings.kube_events_enabled:
            _spawn(tasks, "events-consumer", KubeEventConsumer(settings, kube_events, metrics, topics_ready).run())
        if settings.notifications.enabled:
            # The diff in approval requests: release N's manifests against release N-1's.
            differ = ManifestSummaryDiffer()
            notifier = Notifier(ctx, settings.notifications, differ, rollouts.get, deliveries_signal, hub_url)
            _spawn(tasks, "notifier", notifier.run())
            _spawn(tasks, "deliverer", Deliverer(ctx, settings.notifications, deliveries_signal, metrics).run())
            monitor = ReachabilityMonitor(ctx, settings.notifications.monitor_interval_seconds)
            _spawn(tasks, "cluster-monitor", monitor.run())
        else:
            log.warning("notifications disabled: nothing is notified, and no cluster reachability is recorded")
        log.info(
            "hub ready (database %s, Kafka %s)",
            engine.url.render_as_string(hide_password=True),
            settings.kafka_bootstrap,
        )
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await dry_runs.close()
            await topics.close()
            await engine.dispose()
            log.info("hub stopped")

    app = FastAPI(
        title="Fleetcast hub",
        version="1",
        summary="Desired state of a fleet of Kubernetes clusters, published to Kafka.",
        lifespan=lifespan,
    )
    # Outermost of ours: times every request, labelled by the route template the router matched.
    app.add_middleware(RequestTimer, histogram=metrics.http_request_duration)
    api_errors.install(app)
    for router in (
        clusters.router,
        applications.router,
        rollout_api.strategies,
        rollout_api.rollouts,
        campaign_api.router,
        autoupdate_api.router,
        fleet.router,
        tokens.router,
        audit.router,
        ops.router,
        diff_api.router,
        notification_api.router,
        images_api.router,
        drift_api.router,
        kube_events_api.router,
        describe_api.router,
        template_api.router,
        policies_api.router,
        fleetcode_api.router,
    ):
        app.include_router(router)
    return app
