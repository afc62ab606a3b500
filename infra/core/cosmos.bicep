// Cosmos DB for NoSQL with keys off (`disableLocalAuth`): the database and the two containers
// exactly as the app expects them, since data-plane roles cannot create them.
param name string
param location string
param tags object
param databaseName string
param productsContainerName string
param importsContainerName string
@allowed(['serverless', 'provisioned', 'autoscale'])
param throughputMode string
@description('RU/s of each container (provisioned), or its autoscale maximum.')
param throughput int
param vnetEnabled bool

var serverless = throughputMode == 'serverless'
var containerOptions = throughputMode == 'autoscale'
  ? { autoscaleSettings: { maxThroughput: throughput } }
  : (throughputMode == 'provisioned' ? { throughput: throughput } : {})

resource account 'Microsoft.DocumentDB/databaseAccounts@2025-10-15' = {
  name: name
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    locations: [
      {
        locationName: location
        failoverPriority: 0
        isZoneRedundant: false
      }
    ]
    consistencyPolicy: { defaultConsistencyLevel: 'Session' }
    capabilities: serverless ? [{ name: 'EnableServerless' }] : []
    // Low-priority requests (the app's bulk writes) are throttled first when a partition is at
    // its budget; requests without a priority (the HTTP routes) are high. Serverless accounts
    // do not offer the feature.
    enablePriorityBasedExecution: !serverless
    defaultPriorityLevel: 'High'
    disableLocalAuth: true
    disableKeyBasedMetadataWriteAccess: true
    minimalTlsVersion: 'Tls12'
    publicNetworkAccess: vnetEnabled ? 'Disabled' : 'Enabled'
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2025-10-15' = {
  parent: account
  name: databaseName
  properties: {
    resource: { id: databaseName }
  }
}

resource products 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2025-10-15' = {
  parent: database
  name: productsContainerName
  properties: {
    resource: {
      id: productsContainerName
      partitionKey: { paths: ['/categoryId'], kind: 'Hash' }
      // Per-item ttl works; items without one never expire.
      defaultTtl: -1
    }
    options: containerOptions
  }
}

resource imports 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2025-10-15' = {
  parent: database
  name: importsContainerName
  properties: {
    resource: {
      id: importsContainerName
      partitionKey: { paths: ['/importId'], kind: 'Hash' }
    }
    options: containerOptions
  }
}

output id string = account.id
output name string = account.name
output endpoint string = account.properties.documentEndpoint
