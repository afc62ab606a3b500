// The whole deployment of the product catalog, for `azd up`: one resource group holding a
// user-assigned identity that everything trusts, Flex Consumption hosting, Storage for the host
// and the app's queues, Cosmos DB for NoSQL, and monitoring. No key or secret anywhere.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; resource names are derived from it.')
param environmentName string

@minLength(1)
@description('Region of every resource (one that offers Flex Consumption).')
@metadata({ azd: { type: 'location' } })
param location string

@description('Object id of the deploying principal, given data roles for local runs against Azure; empty for none.')
param principalId string = ''

@allowed(['User', 'ServicePrincipal'])
@description('Kind of the deploying principal.')
param principalType string = 'User'

@allowed(['serverless', 'provisioned', 'autoscale'])
@description('Cosmos DB throughput: serverless, or RU/s per container (fixed, or autoscale up to that maximum).')
param cosmosThroughputMode string = 'serverless'

@minValue(400)
@description('RU/s of each container when provisioned; the autoscale maximum when autoscale (at least 1000 then).')
param cosmosThroughput int = 1000

@allowed([512, 2048, 4096])
@description('Memory of each function app instance, in MB.')
param instanceMemoryMB int = 2048

@minValue(40)
@maxValue(1000)
@description('The most instances the app scales out to.')
param maximumInstanceCount int = 100

@description('Put Cosmos DB and Storage behind private endpoints in a virtual network the app is integrated with.')
param vnetEnabled bool = false

@allowed(['low', 'high'])
@description('Priority of bulk writes (BULK_PRIORITY): low yields to the HTTP routes when a partition is at its budget.')
param bulkPriority string = 'low'

@minValue(0)
@maxValue(5)
@description('Throughput bucket of bulk writes (BULK_THROUGHPUT_BUCKET), 1 to 5, configured on the products container; 0 for none.')
param bulkThroughputBucket int = 0

@description('Database name (COSMOS_DATABASE).')
param cosmosDatabaseName string = 'cosmicworks'

@description('Products container, partition key /categoryId (COSMOS_CONTAINER).')
param productsContainerName string = 'products'

@description('Import progress container, partition key /importId (COSMOS_IMPORTS_CONTAINER).')
param importsContainerName string = 'imports'

@description('The queue the ingestion function reads (INGEST_QUEUE).')
param ingestQueueName string = 'product-ingest'

@description('The queue rejected records are reported on (REJECTS_QUEUE).')
param rejectsQueueName string = 'product-ingest-rejects'

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var functionAppName = 'func-catalog-${resourceToken}'

resource resourceGroup 'Microsoft.Resources/resourceGroups@2024-11-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'core/identity.bicep' = {
  name: 'identity'
  scope: resourceGroup
  params: {
    name: 'id-catalog-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'core/monitoring.bicep' = {
  name: 'monitoring'
  scope: resourceGroup
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'core/storage.bicep' = {
  name: 'storage'
  scope: resourceGroup
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: 'app-package-${take(resourceToken, 10)}'
    queueNames: [ingestQueueName, rejectsQueueName]
    vnetEnabled: vnetEnabled
  }
}

module cosmos 'core/cosmos.bicep' = {
  name: 'cosmos'
  scope: resourceGroup
  params: {
    name: 'cosmos-${resourceToken}'
    location: location
    tags: tags
    databaseName: cosmosDatabaseName
    productsContainerName: productsContainerName
    importsContainerName: importsContainerName
    throughputMode: cosmosThroughputMode
    throughput: cosmosThroughput
    vnetEnabled: vnetEnabled
  }
}

module network 'core/network.bicep' = if (vnetEnabled) {
  name: 'network'
  scope: resourceGroup
  params: {
    name: 'vnet-${resourceToken}'
    location: location
    tags: tags
    storageAccountId: storage.outputs.id
    cosmosAccountId: cosmos.outputs.id
  }
}

module access 'core/access.bicep' = {
  name: 'access'
  scope: resourceGroup
  params: {
    identityPrincipalId: identity.outputs.principalId
    principalId: principalId
    principalType: principalType
    storageAccountName: storage.outputs.name
    cosmosAccountName: cosmos.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
  }
}

module app 'core/function-app.bicep' = {
  name: 'function-app'
  scope: resourceGroup
  params: {
    name: functionAppName
    planName: 'plan-${resourceToken}'
    location: location
    tags: union(tags, { 'azd-service-name': 'api' })
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    deploymentContainerUrl: '${storage.outputs.blobEndpoint}${storage.outputs.deploymentContainerName}'
    blobServiceUri: storage.outputs.blobEndpoint
    queueServiceUri: storage.outputs.queueEndpoint
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    cosmosEndpoint: cosmos.outputs.endpoint
    cosmosDatabaseName: cosmosDatabaseName
    productsContainerName: productsContainerName
    importsContainerName: importsContainerName
    ingestQueueName: ingestQueueName
    rejectsQueueName: rejectsQueueName
    bulkPriority: bulkPriority
    bulkThroughputBucket: bulkThroughputBucket
    subnetId: vnetEnabled ? network.outputs.appSubnetId : ''
  }
  // The host starts with the identity's roles in place, or it cannot reach its own storage.
  dependsOn: [access]
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = resourceGroup.name
output AZURE_FUNCTION_APP_NAME string = app.outputs.name
output API_URL string = app.outputs.apiUrl
output COSMOS_ENDPOINT string = cosmos.outputs.endpoint
output COSMOS_DATABASE string = cosmosDatabaseName
output AZURE_COSMOS_ACCOUNT_NAME string = cosmos.outputs.name
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_STORAGE_QUEUE_ENDPOINT string = storage.outputs.queueEndpoint
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
