"""Small templates for the connector tests, written against the generic helpdesk's /api/v1."""
# ruff: noqa: E501

from __future__ import annotations

from deskline.templates.model import HelpdeskTemplate
from deskline.templates.validation import load_valid_template

LOOKUP = """
    <Scenario Id="SyncContactAuto" Type="REST">
      <Parameters>
        <Parameter Name="URLFormat" Value="https://{{.domain}}/agent/contacts/{{.ContactsId}}"/>
        <Parameter Name="BusinessNumberEnable" Value="1"/>
        {lookup_parameters}
      </Parameters>
      <Requests>
        <Request Name="Contacts" Method="GET" URLFormat="https://{{.domain}}/api/v1/contacts/search?phone={{UrlEncode .Phone}}">
          <Outputs>
            <Output Name="ContactsId" Path="contacts.#.id"/>
            <Output Name="FirstName" Path="contacts.#.first_name"/>
            <Output Name="BusinessNumber" Path="contacts.#.phone"/>
          </Outputs>
        </Request>
      </Requests>
    </Scenario>"""

USERS = """
    <Scenario Id="UserAssociation" Type="REST">
      <Parameters>{pagination}</Parameters>
      <Requests>
        <Request Name="Users" Method="GET" URLFormat="https://{{.domain}}/api/v1/users">
          <Outputs>
            <Output Name="UserUniqueId" Path="users.#.id"/>
            <Output Name="FirstName" Path="users.#.first_name"/>
            <Output Name="Email" Path="users.#.email"/>
          </Outputs>
        </Request>
      </Requests>
    </Scenario>"""


def desk_template(
    auth_parameters: str,
    *,
    auth_type: str = "none",
    scenarios: str = LOOKUP,
    max_concurrent: int = 4,
    lookup_parameters: str = "",
    pagination: str = "",
) -> HelpdeskTemplate:
    """A template for ``domain`` (a custom field) with the given auth and scenarios."""
    users = "1" if 'Id="UserAssociation"' in scenarios else "0"
    body = scenarios.replace("{lookup_parameters}", lookup_parameters).replace(
        "{pagination}", pagination
    )
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<Information Provider="helpdesk" Name="Test Desk" Key="test_desk" AuthType="{auth_type}"
    MaxConcurrentRequest="{max_concurrent}" UserAssociation="{users}">
  <Parameters/>
  <Scenarios>
    <Scenario Id="AuthMethod" Type="AUTH">
      <Parameters>
        <Parameter Name="AuthMethod" Value="{auth_type}"/>
        <Parameter Father="CustomFieldList" Name="domain" Editor="string" Title="Domain"/>
        <Parameter Father="PopulateTemplateString" Name="Accept" Type="Header" Value="application/json"/>
        {auth_parameters}
      </Parameters>
    </Scenario>{body}
  </Scenarios>
</Information>"""
    return load_valid_template(xml, "test-desk.xml")
