// Who may do what, keyless: the app's identity gets the data roles the host and the app need,
// and the deploying principal (when given) the data roles for running the app locally against
// these resources.
param identityPrincipalId string
@description('The deploying principal; empty for none.')
param principalId string
param principalType string
param storageAccountName string
param cosmosAccountName string
param applicationInsightsName string

// Built-in role definition ids (the same in every tenant).
var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
var storageQueueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'
var cosmosBuiltInDataContributor = '00000000-0000-0000-0000-000000000002'

// The host keeps its locks and keys in blobs (and deploys from a container); the queue trigger,
// its poison queue and the app's own sends need the queue role.
var principals = empty(principalId)
  ? [{ id: identityPrincipalId, type: 'ServicePrincipal' }]
  : [{ id: identityPrincipalId, type: 'ServicePrincipal' }, { id: principalId, type: principalType }]

resource storageAccount 'Microsoft.Storage/storageAccounts@2025-06-01' existing = {
  name: storageAccountName
}

resource cosmosAccount 'Microsoft.DocumentDB/databaseAccounts@2025-10-15' existing = {
  name: cosmosAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

var storageGrants = flatten(map(principals, principal => [
  { principal: principal, role: storageBlobDataOwner }
  { principal: principal, role: storageQueueDataContributor }
]))

resource storageAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for grant in storageGrants: {
    name: guid(storageAccount.id, grant.principal.id, grant.role)
    scope: storageAccount
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', grant.role)
      principalId: grant.principal.id
      principalType: grant.principal.type
    }
  }
]

resource telemetryAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, identityPrincipalId, monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource cosmosAccess 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2025-10-15' = [
  for principal in principals: {
    parent: cosmosAccount
    name: guid(cosmosAccount.id, principal.id, cosmosBuiltInDataContributor)
    properties: {
      roleDefinitionId: '${cosmosAccount.id}/sqlRoleDefinitions/${cosmosBuiltInDataContributor}'
      principalId: principal.id
      scope: cosmosAccount.id
    }
  }
]
