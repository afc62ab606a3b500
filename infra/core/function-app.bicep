// The function app on a Flex Consumption (FC1) plan: Python 3.13, deployed from a blob container
// it reads with its identity, and configured with exactly the settings the app and the host
// read. Flex Consumption refuses the runtime settings of other plans (FUNCTIONS_WORKER_RUNTIME,
// FUNCTIONS_EXTENSION_VERSION, WEBSITE_RUN_FROM_PACKAGE, ...): the runtime is in functionAppConfig.
param name string
param planName string
param location string
param tags object
param identityId string
param identityClientId string
@allowed([512, 2048, 4096])
param instanceMemoryMB int
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int
@description('URL of the blob container the platform deploys the package from.')
param deploymentContainerUrl string
param blobServiceUri string
param queueServiceUri string
param applicationInsightsConnectionString string
param cosmosEndpoint string
param cosmosDatabaseName string
param productsContainerName string
param importsContainerName string
param ingestQueueName string
param rejectsQueueName string
@allowed(['low', 'high'])
param bulkPriority string
@minValue(0)
@maxValue(5)
@description('Throughput bucket of bulk writes; 0 for none.')
param bulkThroughputBucket int
@description('Subnet the app is integrated with; empty for none.')
param subnetId string

var appSettings = [
  { name: 'COSMOS_ENDPOINT', value: cosmosEndpoint }
  { name: 'COSMOS_DATABASE', value: cosmosDatabaseName }
  { name: 'COSMOS_CONTAINER', value: productsContainerName }
  { name: 'COSMOS_IMPORTS_CONTAINER', value: importsContainerName }
  { name: 'INGEST_QUEUE', value: ingestQueueName }
  { name: 'REJECTS_QUEUE', value: rejectsQueueName }
  // Bulk writes yield to the HTTP routes (priority-based execution is on in cosmos.bicep), and
  // stay within their throughput bucket's share when one is set (empty: none).
  { name: 'BULK_PRIORITY', value: bulkPriority }
  { name: 'BULK_THROUGHPUT_BUCKET', value: bulkThroughputBucket == 0 ? '' : string(bulkThroughputBucket) }
  // Storage of the host and of the app's queues, through the identity: no key.
  { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
  { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
  { name: 'AzureWebJobsStorage__blobServiceUri', value: blobServiceUri }
  { name: 'AzureWebJobsStorage__queueServiceUri', value: queueServiceUri }
  // DefaultAzureCredential (the Cosmos client) picks the user-assigned identity by it.
  { name: 'AZURE_CLIENT_ID', value: identityClientId }
  { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: applicationInsightsConnectionString }
  // Entra-authenticated export, for the host and for the app's Azure Monitor exporter alike.
  { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'Authorization=AAD;ClientId=${identityClientId}' }
  { name: 'PYTHON_ENABLE_OPENTELEMETRY', value: 'true' }
]

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-11-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    virtualNetworkSubnetId: empty(subnetId) ? null : subnetId
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      appSettings: appSettings
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      runtime: {
        name: 'python'
        version: '3.13'
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
    }
  }
}

// No publishing with user names and passwords: azd and Core Tools deploy with Entra tokens.
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-11-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-11-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

output name string = site.name
output apiUrl string = 'https://${site.properties.defaultHostName}/api'
