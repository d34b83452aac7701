"""Paging through the helpdesk's users (UserAssociation, F15): four small strategies.

* :class:`NoPagination` — one request.
* :class:`PageNumberPaginator` — ``page`` = start, start+1, … (and the page size parameter).
* :class:`OffsetPaginator` — ``offset`` = start, start+limit, … (and the limit parameter).
* :class:`NextLinkPaginator` — the next page's URL read from the response by a path.

Page and offset paging stop at a page with fewer records than the page size (or none); link
paging stops when the link is missing, repeats, or points to another host. A sync makes at
most :data:`MAX_PAGINATED_REQUESTS` requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import httpx

from deskline.connector.client import same_origin
from deskline.templates.model import Pagination, PaginationType
from deskline.templates.model.vocabulary import MAX_PAGINATED_REQUESTS
from deskline.templates.paths import extract_first

__all__ = [
    "MAX_PAGINATED_REQUESTS",
    "NextLinkPaginator",
    "NoPagination",
    "OffsetPaginator",
    "PageNumberPaginator",
    "Paginator",
    "paginator_for",
]


class Paginator(Protocol):
    def first_url(self, url: str) -> str:
        """The URL of the first page."""
        ...

    def next_url(self, url: str, document: object, record_count: int) -> str | None:
        """The URL of the page after the one ``url`` fetched, or ``None`` when done."""
        ...


class NoPagination:
    def first_url(self, url: str) -> str:
        return url

    def next_url(self, url: str, document: object, record_count: int) -> str | None:
        return None


def _with_params(url: str, params: dict[str, str]) -> str:
    return str(httpx.URL(url).copy_merge_params(params))


@dataclass(frozen=True)
class PageNumberPaginator:
    page_param: str
    start: int = 1
    size_param: str | None = None
    size: int = 100

    def _url(self, url: str, page: int) -> str:
        params = {self.page_param: str(page)}
        if self.size_param:
            params[self.size_param] = str(self.size)
        return _with_params(url, params)

    def first_url(self, url: str) -> str:
        return self._url(url, self.start)

    def next_url(self, url: str, document: object, record_count: int) -> str | None:
        if record_count == 0 or (self.size_param and record_count < self.size):
            return None
        page = int(httpx.URL(url).params.get(self.page_param, str(self.start)))
        return self._url(url, page + 1)


@dataclass(frozen=True)
class OffsetPaginator:
    offset_param: str
    start: int = 0
    limit_param: str | None = None
    limit: int = 100

    def _url(self, url: str, offset: int) -> str:
        params = {self.offset_param: str(offset)}
        if self.limit_param:
            params[self.limit_param] = str(self.limit)
        return _with_params(url, params)

    def first_url(self, url: str) -> str:
        return self._url(url, self.start)

    def next_url(self, url: str, document: object, record_count: int) -> str | None:
        if record_count == 0 or (self.limit_param and record_count < self.limit):
            return None
        offset = int(httpx.URL(url).params.get(self.offset_param, str(self.start)))
        return self._url(url, offset + (self.limit if self.limit_param else record_count))


@dataclass
class NextLinkPaginator:
    path: str

    def __post_init__(self) -> None:
        self._seen: set[str] = set()

    def first_url(self, url: str) -> str:
        self._seen = {url}
        return url

    def next_url(self, url: str, document: object, record_count: int) -> str | None:
        link = extract_first(self.path, document)
        if not isinstance(link, str) or not link.strip():
            return None
        current = httpx.URL(url)
        target = current.join(link.strip())
        if not same_origin(current, target) or str(target) in self._seen:
            return None
        self._seen.add(str(target))
        return str(target)


def paginator_for(settings: Pagination) -> Paginator:
    """The strategy a template's UserAssociation settings describe."""
    if settings.type is PaginationType.PAGE and settings.page_param_name:
        return PageNumberPaginator(
            settings.page_param_name,
            settings.page_start,
            settings.page_size_param_name,
            settings.page_size,
        )
    if settings.type is PaginationType.OFFSET and settings.offset_param_name:
        return OffsetPaginator(
            settings.offset_param_name,
            settings.offset_start,
            settings.limit_param_name,
            settings.limit,
        )
    if settings.type is PaginationType.LINK and settings.next_link_path:
        return NextLinkPaginator(settings.next_link_path)
    return NoPagination()
